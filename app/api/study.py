"""Per-user study endpoints: the next card, reviews, undo, and suspend/bury/reset."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.convertors import StringConvertor, register_url_convertor

from app.api.schemas import CardOut, error_responses
from app.api.study_schemas import (
    ButtonOut,
    CardInfoOut,
    NewLimitIn,
    NewLimitOut,
    NextOut,
    ReviewIn,
    ReviewOut,
    SessionEndOut,
    StateOut,
)
from app.auth.dependencies import ApiUserDep, CredentialsDep, as_api_user
from app.deps import NowDep, SessionDep, SettingsDep, SlugQuery
from app.models import Card, User
from app.srs import cards as card_flags
from app.srs.card_info import card_info
from app.srs.preferences import raise_new_limit_today
from app.srs.queue import StudyFilter, next_card, session_end
from app.srs.reviews import recent_reviews, record_review, undo_last_review

router = APIRouter(tags=["study"], responses=error_responses(401, 403, 404, 409, 410))
Action = Literal["suspend", "unsuspend", "bury", "reset"]


class CardActionConvertor(StringConvertor):
    """Only the action names match the action route's last segment, so /study/cards/{slug}/info
    is the info route's (a POST to it is 405, not a 422 for an unknown action)."""

    regex = "|".join(get_args(Action))


register_url_convertor("card_action", CardActionConvertor())


@router.get("/study/next", response_model=NextOut, dependencies=[CredentialsDep])
async def study_next(
    request: Request,
    settings: SettingsDep,
    now: NowDep,
    deck: SlugQuery = None,
    topic: SlugQuery = None,
    difficulty: Literal["easy", "medium", "hard"] | None = None,
) -> NextOut:
    """The next card to study and the interval each rating would give it."""
    filters = StudyFilter(deck=deck, topic=topic, difficulty=difficulty)

    def work(session: Session, user: User) -> NextOut:
        found = next_card(session=session, settings=settings, user=user, now=now, filters=filters)
        if found is None:
            end = session_end(session=session, user=user, now=now, filters=filters)
            return NextOut(
                card=None,
                state=None,
                buttons=[],
                due_left=0,
                new_left=0,
                end=SessionEndOut(**asdict(end)),
            )
        return NextOut(
            card=CardOut.of(found.card),
            state=StateOut.of(found.card.slug, found.state) if found.state else None,
            buttons=[ButtonOut.of(r, outcome, now) for r, outcome in found.outcomes.items()],
            due_left=found.due_left,
            learning_left=found.learning_left,
            review_left=found.review_left,
            new_left=found.new_left,
        )

    return await as_api_user(request, now, work)


@router.post("/reviews", response_model=ReviewOut, status_code=201, dependencies=[CredentialsDep])
async def post_review(
    body: ReviewIn,
    request: Request,
    response: Response,
    settings: SettingsDep,
    now: NowDep,
) -> ReviewOut:
    """Rate a card; resending the same idempotency_key returns the first review (200)."""

    def work(session: Session, user: User) -> ReviewOut:
        card = card_flags.studiable_card(session=session, slug=body.card)
        outcome = record_review(
            session=session,
            settings=settings,
            user=user,
            card=card,
            rating=body.rating,
            now=now,
            duration_ms=body.duration_ms,
            idempotency_key=body.idempotency_key,
        )
        if outcome.replayed:
            response.status_code = 200
        return ReviewOut.of(body.card, outcome.review, replayed=outcome.replayed)

    return await as_api_user(request, now, work)


@router.get("/reviews", response_model=list[ReviewOut])
def list_reviews(
    user: ApiUserDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ReviewOut]:
    """The user's most recent reviews, newest first."""
    rows = recent_reviews(session=session, user=user, limit=limit)
    return [ReviewOut.of(slug, log) for log, slug in rows]


@router.post("/reviews/undo", response_model=StateOut)
def undo_review(
    user: ApiUserDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> StateOut:
    """Undo the user's last review: its log row goes and the card's state is restored."""
    removed = undo_last_review(session=session, settings=settings, user=user, now=now)
    card = session.get_one(Card, removed.card_id)
    return StateOut.of_card(card, card_flags.card_state(session=session, user=user, card=card))


@router.post("/study/new-today", response_model=NewLimitOut)
def raise_new_today(
    body: NewLimitIn, user: ApiUserDep, session: SessionDep, now: NowDep
) -> NewLimitOut:
    """Let `extra` more new cards in today only; the daily setting stays as it is."""
    limit = raise_new_limit_today(session=session, user=user, extra=body.extra, now=now)
    return NewLimitOut(new_per_day=user.new_per_day, new_limit_today=limit)


@router.get("/study/cards/{slug}", response_model=StateOut)
def get_card_state(slug: str, user: ApiUserDep, session: SessionDep) -> StateOut:
    """The user's schedule for one card ("new" if never reviewed)."""
    card = card_flags.studiable_card(session=session, slug=slug)
    return StateOut.of_card(card, card_flags.card_state(session=session, user=user, card=card))


@router.get("/study/cards/{slug}/info", response_model=CardInfoOut)
def get_card_info(slug: str, user: ApiUserDep, session: SessionDep, now: NowDep) -> CardInfoOut:
    """Anki's Card Info: the schedule, the odds of recall now, lapses and every review."""
    card = card_flags.studiable_card(session=session, slug=slug)
    info = card_info(session=session, user=user, card=card, now=now)
    return CardInfoOut(
        **StateOut.of_card(card, info.state).model_dump(),
        retrievability=info.retrievability,
        lapses=info.lapses,
        reviews=[ReviewOut.of(slug, log) for log in info.reviews],
    )


@router.post("/study/cards/{slug}/{action:card_action}", response_model=StateOut)
def change_card(
    slug: str, action: Action, user: ApiUserDep, session: SessionDep, now: NowDep
) -> StateOut:
    """Suspend, unsuspend, bury (until the next study day) or reset a card."""
    card = card_flags.studiable_card(session=session, slug=slug)
    change = {
        "suspend": card_flags.suspend_card,
        "unsuspend": card_flags.unsuspend_card,
        "bury": card_flags.bury_card,
        "reset": card_flags.reset_card,
    }[action]
    change(session=session, user=user, card=card, now=now)
    return StateOut.of_card(card, card_flags.card_state(session=session, user=user, card=card))
