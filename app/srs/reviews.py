"""Recording a review (idempotent, serialised per user and card) and undoing the last one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import fsrs
from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import NoWrite, plan_then_write, retry_write
from app.models import Card, CardState, ReviewLog, User
from app.srs import aggregates
from app.srs.errors import RetiredCard, StudyConflict, StudyError
from app.srs.scheduler import fsrs_card, scheduler_for

MAX_ATTEMPTS = 20


class _Stale(Exception):
    """The state row changed between our read and our write; start the transaction again."""


RETRYABLE = (_Stale, IntegrityError)


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
    review = _Review(
        user.id,
        card.id,
        rating,
        now.astimezone(UTC),
        duration_ms,
        idempotency_key,
        user.time_zone,
        card.difficulty,
    )
    retention, fuzzing = user.desired_retention, settings.fsrs_fuzzing
    # The reads and FSRS run before the write turn; the write checks the state row's version
    # (or, for a first review, inserts it: a concurrent one fails on the primary key) and the
    # idempotency key is unique, so a concurrent writer makes it raise and the plan runs again.
    try:
        return plan_then_write(
            session,
            lambda: _plan(session, review, retention=retention, fuzzing=fuzzing),
            lambda planned: _write(session, review, planned),
            budget_seconds=settings.write_retry_seconds,
            retry_on=RETRYABLE,
            max_attempts=MAX_ATTEMPTS,
        )
    except RETRYABLE as error:
        raise StudyConflict("The card is being reviewed elsewhere; try again.") from error


@dataclass(frozen=True)
class _Review:
    user_id: int
    card_id: int
    rating: int
    at: datetime
    duration_ms: int | None
    key: str | None
    time_zone: str
    difficulty: str


# Built once with bound parameters: building a statement costs SQLAlchemy more than running it.
_STATE = (
    select(CardState)
    .where(CardState.user_id == bindparam("user_id"), CardState.card_id == bindparam("card_id"))
    .execution_options(populate_existing=True)
)
_BY_KEY = select(ReviewLog).where(
    ReviewLog.user_id == bindparam("user_id"), ReviewLog.idempotency_key == bindparam("key")
)


@dataclass(frozen=True)
class _Planned:
    """What a review will write: the log entry, the new state, and the version it replaces
    (None: the user's first review of the card, so the state row is inserted)."""

    entry: ReviewLog
    values: dict[str, object]
    expected_version: int | None


def _plan(
    session: Session, review: _Review, *, retention: float, fuzzing: bool
) -> _Planned | NoWrite[ReviewOutcome]:
    # The state row is written by the first review (a new card has none); until then it is the
    # defaults.
    ids = {"user_id": review.user_id, "card_id": review.card_id}
    row = session.scalar(_STATE, ids)
    if review.key is not None:
        earlier = session.scalar(_BY_KEY, {"user_id": review.user_id, "key": review.key})
        if earlier is not None:
            if (earlier.card_id, earlier.rating) != (review.card_id, review.rating):
                raise StudyConflict("This idempotency_key was already used for another review.")
            return NoWrite(ReviewOutcome(earlier, replayed=True))
    if row is not None and row.suspended:
        raise StudyConflict("The card is suspended; unsuspend it to review it.")
    version = row.version if row is not None else 0
    scheduler = scheduler_for(
        user_id=review.user_id,
        card_id=review.card_id,
        version=version,
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
        state_before=row.state if row else None,
        step_before=row.step if row else None,
        stability_before=row.stability if row else None,
        difficulty_before=row.difficulty if row else None,
        due_before=row.due if row else None,
        last_review_before=row.last_review if row else None,
        buried_until_before=row.buried_until if row else None,
        state_after=after.state.value,
        step_after=after.step,
        stability_after=after.stability,
        difficulty_after=after.difficulty,
        due_after=after.due,
    )
    values: dict[str, object] = {
        "state": after.state.value,
        "step": after.step,
        "stability": after.stability,
        "difficulty": after.difficulty,
        "due": after.due,
        "last_review": after.last_review,
        "buried_until": None,
        "updated_at": review.at,
    }
    return _Planned(entry, values, row.version if row is not None else None)


def _write(session: Session, review: _Review, planned: _Planned) -> ReviewOutcome:
    if planned.expected_version is None:
        # A concurrent first review inserting the same row fails on the primary key: retried.
        session.execute(
            insert(CardState).values(
                user_id=review.user_id,
                card_id=review.card_id,
                suspended=False,
                version=1,
                **planned.values,
            )
        )
    else:
        _write_state(
            session,
            review.user_id,
            review.card_id,
            expected_version=planned.expected_version,
            values=planned.values,
        )
    entry = planned.entry
    # A Core INSERT, not a unit-of-work flush: it runs inside the writer's turn. The entry stays
    # a plain object carrying the new id; nothing reads it back through the session.
    entry.id = session.connection().execute(_INSERT_LOG, _log_values(entry)).scalar_one()
    # Stats read aggregates, so they are counted in the transaction that writes the review.
    aggregates.record_log(session, entry, time_zone=review.time_zone, difficulty=review.difficulty)
    return ReviewOutcome(entry, replayed=False)


# Declarative classes map Tables; the stubs type __table__ as the wider FromClause.
_LOGS = cast(Table, ReviewLog.__table__)
_LOG_COLUMNS = tuple(column.key for column in _LOGS.c if column.key != "id")
_INSERT_LOG = insert(_LOGS).returning(_LOGS.c.id)


def _log_values(entry: ReviewLog) -> dict[str, object]:
    return {name: getattr(entry, name) for name in _LOG_COLUMNS}


_STATE_COLUMNS = ("state", "step", "stability", "difficulty", "due", "last_review")
_STATES = cast(Table, CardState.__table__)
# Built once: the write runs inside the writer's turn, where building a statement per request
# cost as much as running it.
_UPDATE_STATE = (
    update(_STATES)
    .where(
        _STATES.c.user_id == bindparam("w_user_id"),
        _STATES.c.card_id == bindparam("w_card_id"),
        _STATES.c.version == bindparam("w_version"),
    )
    .values(
        version=bindparam("w_new_version"),
        **{
            name: bindparam(f"w_{name}", type_=_STATES.c[name].type)
            for name in (*_STATE_COLUMNS, "buried_until", "updated_at")
        },
    )
)


def _write_state(
    session: Session,
    user_id: int,
    card_id: int,
    *,
    expected_version: int,
    values: dict[str, object],
) -> None:
    """UPDATE the row only if nobody wrote it since we read it (the database checks version)."""
    params = {f"w_{name}": value for name, value in values.items()}
    params.update(
        w_user_id=user_id,
        w_card_id=card_id,
        w_version=expected_version,
        w_new_version=expected_version + 1,
    )
    result = session.connection().execute(_UPDATE_STATE, params)
    if result.rowcount != 1:
        raise _Stale


def undo_last_review(
    *, session: Session, user: User, now: datetime, settings: Settings | None = None
) -> ReviewLog:
    """Remove the user's most recent review and restore the card's state exactly as before it."""
    user_id, time_zone, at = user.id, user.time_zone, now.astimezone(UTC)
    budget = (settings or Settings.model_construct()).write_retry_seconds
    try:
        return retry_write(
            session,
            lambda: _undo(session, user_id, time_zone, at),
            budget_seconds=budget,
            retry_on=RETRYABLE,
            max_attempts=MAX_ATTEMPTS,
        )
    except RETRYABLE as error:
        raise StudyConflict("The card is being reviewed elsewhere; try again.") from error


def _undo(session: Session, user_id: int, time_zone: str, now: datetime) -> ReviewLog:
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
    aggregates.forget_log(session, last, time_zone=time_zone)
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
