"""Each user's study settings: desired retention, daily limits and time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.models import User
from app.srs.days import is_time_zone, study_day
from app.srs.errors import BadStudySetting

MIN_RETENTION, MAX_RETENTION = 0.70, 0.99
MAX_NEW_PER_DAY = 9999
MAX_REVIEWS_PER_DAY = 99999


@dataclass(frozen=True)
class StudySettings:
    """The values to change; None leaves a setting as it is."""

    desired_retention: float | None = None
    new_per_day: int | None = None
    reviews_per_day: int | None = None
    time_zone: str | None = None


def update_study_settings(*, session: Session, user: User, changes: StudySettings) -> User:
    """Validate and save `changes`; BadStudySetting names the first bad value."""
    retention = changes.desired_retention
    if retention is not None and not MIN_RETENTION <= retention <= MAX_RETENTION:
        raise BadStudySetting(
            f"desired_retention must be between {MIN_RETENTION} and {MAX_RETENTION}."
        )
    if changes.new_per_day is not None and not 0 <= changes.new_per_day <= MAX_NEW_PER_DAY:
        raise BadStudySetting(f"new_per_day must be between 0 and {MAX_NEW_PER_DAY}.")
    reviews = changes.reviews_per_day
    if reviews is not None and not 0 <= reviews <= MAX_REVIEWS_PER_DAY:
        raise BadStudySetting(f"reviews_per_day must be between 0 and {MAX_REVIEWS_PER_DAY}.")
    if changes.time_zone is not None and not is_time_zone(changes.time_zone):
        raise BadStudySetting(
            f"{changes.time_zone!r} is not a time zone; use an IANA name like Europe/Paris."
        )
    for name in ("desired_retention", "new_per_day", "reviews_per_day", "time_zone"):
        value = getattr(changes, name)
        if value is not None:
            setattr(user, name, value)
    session.commit()
    return user


MAX_EXTRA_NEW = 500


def raise_new_limit_today(*, session: Session, user: User, extra: int, now: datetime) -> int:
    """Let `extra` more new cards in today only (Anki's custom-study "increase today's new card
    limit"); a second raise on the same study day adds to the first. Returns today's limit."""
    if not 1 <= extra <= MAX_EXTRA_NEW:
        raise BadStudySetting(f"extra must be between 1 and {MAX_EXTRA_NEW}.")
    today = study_day(now, user.time_zone)
    already = user.extra_new if user.extra_new_day == today else 0
    user.extra_new = min(already + extra, MAX_NEW_PER_DAY)
    user.extra_new_day = today
    session.commit()
    return user.new_per_day + user.extra_new
