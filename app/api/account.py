"""Per-user account endpoints: who am I, study settings, API tokens, stats."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.api.schemas import error_responses, integral_float
from app.api.study_schemas import StatsOut
from app.auth.dependencies import ApiUserDep
from app.auth.tokens import list_tokens, revoke_token
from app.deps import NowDep, SessionDep
from app.models import ApiToken, User
from app.srs.days import is_time_zone
from app.srs.preferences import (
    MAX_NEW_PER_DAY,
    MAX_RETENTION,
    MAX_REVIEWS_PER_DAY,
    MIN_RETENTION,
    StudySettings,
    update_study_settings,
)
from app.srs.stats import user_stats

router = APIRouter(tags=["account"], responses=error_responses(401, 403, 404))


class MeOut(BaseModel):
    name: str
    desired_retention: float
    new_per_day: int
    reviews_per_day: int
    time_zone: str

    @classmethod
    def of(cls, user: User) -> MeOut:
        return cls(
            name=user.name,
            desired_retention=user.desired_retention,
            new_per_day=user.new_per_day,
            reviews_per_day=user.reviews_per_day,
            time_zone=user.time_zone,
        )


# The schema states what the service accepts (app/srs/preferences.py), so a client, or a fuzzer,
# can tell a valid request from the schema alone: the ranges, and the zone names this machine has.
TIME_ZONES = sorted(name for name in available_timezones() if is_time_zone(name))
TimeZone = Annotated[str, Field(max_length=64, json_schema_extra={"enum": TIME_ZONES})]
# The bounds go before the validator, or the schema says `ge`/`le` instead of minimum/maximum.
NewCount = Annotated[int, Field(ge=0, le=MAX_NEW_PER_DAY), BeforeValidator(integral_float)]
ReviewCount = Annotated[int, Field(ge=0, le=MAX_REVIEWS_PER_DAY), BeforeValidator(integral_float)]


class SettingsIn(BaseModel):
    # Strict: `false` is not a count and "0.8" is not a number, as the schema says.
    model_config = ConfigDict(extra="forbid", strict=True)

    desired_retention: float | None = Field(
        default=None, ge=MIN_RETENTION, le=MAX_RETENTION, description="0.70 to 0.99."
    )
    new_per_day: NewCount | None = None
    reviews_per_day: ReviewCount | None = None
    time_zone: TimeZone | None = Field(default=None, description="IANA name.")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
        )


@router.get("/me", response_model=MeOut)
def me(user: ApiUserDep) -> MeOut:
    """The current user and their study settings."""
    return MeOut.of(user)


@router.patch("/me/settings", response_model=MeOut)
def change_settings(body: SettingsIn, user: ApiUserDep, session: SessionDep) -> MeOut:
    """Change desired retention, daily limits or time zone (omitted fields stay as they are)."""
    changes = StudySettings(**body.model_dump())
    return MeOut.of(update_study_settings(session=session, user=user, changes=changes))


@router.get("/tokens", response_model=list[TokenOut])
def tokens(user: ApiUserDep, session: SessionDep) -> list[TokenOut]:
    """The user's live API tokens (never the tokens themselves)."""
    return [TokenOut.of(token) for token in list_tokens(session=session, user=user)]


@router.delete("/tokens/{token_id}", status_code=204)
def delete_token(token_id: int, user: ApiUserDep, session: SessionDep, now: NowDep) -> Response:
    """Revoke one of the user's tokens."""
    # Ids are INTEGER columns: a larger number names no token (PostgreSQL would refuse it).
    if not 0 < token_id < 2**31 or not revoke_token(
        session=session, user=user, token_id=token_id, now=now
    ):
        raise HTTPException(404, f"You have no token with id {token_id}.")
    return Response(status_code=204)


@router.get("/stats", response_model=StatsOut)
def stats(
    user: ApiUserDep,
    session: SessionDep,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> StatsOut:
    """Reviews per day, true retention, 30-day forecast, streak, counts and time spent."""
    return StatsOut.of(user_stats(session=session, user=user, now=now, days=days))
