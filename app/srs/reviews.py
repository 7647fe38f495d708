"""Recording a review (idempotent, serialised per user and card) and undoing the last one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import fsrs
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import Card, CardState, ReviewLog, User
from app.srs.cards import ensure_state_row
from app.srs.errors import RetiredCard, StudyConflict, StudyError
from app.srs.scheduler import fsrs_card, scheduler_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20


class _Stale(Exception):
    """The state row changed between our read and our write; start the transaction again."""


@dataclass(frozen=True)
class ReviewOutcome:
    """A recorded review; `replayed` when an earlier request with the same key recorded it."""

    review: ReviewLog
    replayed: bool


def record_review(
    *,
    session: Session,
    settings: Settings,
    user: User,
    card: Card,
    rating: int,
    now: datetime,
    duration_ms: int | None = None,
    idempotency_key: str | None = None,
) -> ReviewOutcome:
    """Apply `rating` to the user's schedule for `card` and append it to the review log."""
    if rating not in (1, 2, 3, 4):
        raise StudyError("rating must be 1 (again), 2 (hard), 3 (good) or 4 (easy)")
    if card.retired_at is not None:
        raise RetiredCard(f"The card {card.slug!r} was retired and cannot be studied.")
    review = _Review(user.id, card.id, rating, now.astimezone(UTC), duration_ms, idempotency_key)
    retention, fuzzing = user.desired_retention, settings.fsrs_fuzzing
    # Retry the whole transaction when a concurrent writer got there first: SQLite reports it as
    # "database is locked", PostgreSQL as a conditional UPDATE that matched no row.
    for attempt in range(MAX_ATTEMPTS):
        session.rollback()
        try:
            outcome = _record(session, review, retention=retention, fuzzing=fuzzing)
            session.commit()
            return outcome
        except (_Stale, IntegrityError, OperationalError) as error:
            session.rollback()
            log.debug("review retry %d after %s", attempt + 1, type(error).__name__)
    raise StudyConflict("The card is being reviewed elsewhere; try again.")


@dataclass(frozen=True)
class _Review:
    user_id: int
    card_id: int
    rating: int
    at: datetime
    duration_ms: int | None
    key: str | None


def _record(session: Session, review: _Review, *, retention: float, fuzzing: bool) -> ReviewOutcome:
    ensure_state_row(session, user_id=review.user_id, card_id=review.card_id, now=review.at)
    row = session.scalar(
        select(CardState)
        .where(CardState.user_id == review.user_id, CardState.card_id == review.card_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    if review.key is not None:
        earlier = session.scalar(
            select(ReviewLog).where(
                ReviewLog.user_id == review.user_id, ReviewLog.idempotency_key == review.key
            )
        )
        if earlier is not None:
            if (earlier.card_id, earlier.rating) != (review.card_id, review.rating):
                raise StudyConflict("This idempotency_key was already used for another review.")
            return ReviewOutcome(earlier, replayed=True)
    if row.suspended:
        raise StudyConflict("The card is suspended; unsuspend it to review it.")
    scheduler = scheduler_for(
        user_id=review.user_id,
        card_id=review.card_id,
        version=row.version,
        retention=retention,
        fuzzing=fuzzing,
    )
    before = fsrs_card(row, now=review.at)
    after, _ = scheduler.review_card(before, fsrs.Rating(review.rating), review.at)
    entry = ReviewLog(
        user_id=review.user_id,
        card_id=review.card_id,
        rating=review.rating,
        reviewed_at=review.at,
        duration_ms=review.duration_ms,
        idempotency_key=review.key,
        state_before=row.state,
        step_before=row.step,
        stability_before=row.stability,
        difficulty_before=row.difficulty,
        due_before=row.due,
        last_review_before=row.last_review,
        buried_until_before=row.buried_until,
        state_after=after.state.value,
        step_after=after.step,
        stability_after=after.stability,
        difficulty_after=after.difficulty,
        due_after=after.due,
    )
    _write_state(
        session,
        review.user_id,
        review.card_id,
        expected_version=row.version,
        values={
            "state": after.state.value,
            "step": after.step,
            "stability": after.stability,
            "difficulty": after.difficulty,
            "due": after.due,
            "last_review": after.last_review,
            "buried_until": None,
            "updated_at": review.at,
        },
    )
    session.add(entry)
    session.flush()
    return ReviewOutcome(entry, replayed=False)


def _write_state(
    session: Session,
    user_id: int,
    card_id: int,
    *,
    expected_version: int,
    values: dict[str, object],
) -> None:
    """UPDATE the row only if nobody wrote it since we read it (the database checks version)."""
    result = session.execute(
        update(CardState)
        .where(
            CardState.user_id == user_id,
            CardState.card_id == card_id,
            CardState.version == expected_version,
        )
        .values(version=expected_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _Stale


def undo_last_review(*, session: Session, user: User, now: datetime) -> ReviewLog:
    """Remove the user's most recent review and restore the card's state exactly as before it."""
    user_id = user.id
    for _attempt in range(MAX_ATTEMPTS):
        session.rollback()
        try:
            removed = _undo(session, user_id, now.astimezone(UTC))
            session.commit()
            return removed
        except (_Stale, IntegrityError, OperationalError):
            session.rollback()
    raise StudyConflict("The card is being reviewed elsewhere; try again.")


def _undo(session: Session, user_id: int, now: datetime) -> ReviewLog:
    last = session.scalar(
        select(ReviewLog).where(ReviewLog.user_id == user_id).order_by(ReviewLog.id.desc()).limit(1)
    )
    if last is None:
        raise StudyConflict("There is no review to undo.")
    row = session.scalar(
        select(CardState)
        .where(CardState.user_id == user_id, CardState.card_id == last.card_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    current = (row.state, row.step, row.stability, row.difficulty, row.due) if row else None
    written = (
        last.state_after,
        last.step_after,
        last.stability_after,
        last.difficulty_after,
        last.due_after,
    )
    if row is None or current != written:
        newest = session.scalar(select(func.max(ReviewLog.id)).where(ReviewLog.user_id == user_id))
        if newest != last.id:
            raise _Stale  # a review came in while we looked: undo that one instead
        raise StudyConflict(
            "The card was reset after its last review, so that review cannot be undone."
        )
    _write_state(
        session,
        user_id,
        last.card_id,
        expected_version=row.version,
        values={
            "state": last.state_before,
            "step": last.step_before,
            "stability": last.stability_before,
            "difficulty": last.difficulty_before,
            "due": last.due_before,
            "last_review": last.last_review_before,
            "buried_until": last.buried_until_before,
            "updated_at": now,
        },
    )
    session.execute(delete(ReviewLog).where(ReviewLog.id == last.id))
    return last


def recent_reviews(*, session: Session, user: User, limit: int) -> list[tuple[ReviewLog, str]]:
    """The user's `limit` most recent reviews, newest first, each with its card's slug."""
    rows = session.execute(
        select(ReviewLog, Card.slug)
        .join(Card, Card.id == ReviewLog.card_id)
        .where(ReviewLog.user_id == user.id)
        .order_by(ReviewLog.id.desc())
        .limit(limit)
    ).all()
    return [(log, slug) for log, slug in rows]
