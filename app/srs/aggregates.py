"""Aggregates of the review log, kept up to date in the transaction that writes a review.

Stats, the overview, the streak and the heatmap read these instead of the log, so their cost
does not grow with a user's history:

- `review_days`: per user and study day, reviews, time spent and the streak ending that day;
- `review_totals`: per user and card difficulty, all-time reviews, time spent and the mature
  reviews behind true retention.

A study day is counted in the user's time zone at the moment of the review (a later change of
time zone leaves past days where they were; `rebuild_user` recounts them in the new zone).
Each write is two upserts, `review_days` first then `review_totals`, in that order everywhere so
concurrent writers of one user queue on the same row instead of deadlocking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import fsrs
from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    bindparam,
    case,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from app.models import Card, ReviewDay, ReviewLog, ReviewTotal, User
from app.srs.days import study_day

MATURE = fsrs.State.Review.value
AGAIN = fsrs.Rating.Again.value


def record_review(
    session: Session,
    *,
    user_id: int,
    day: date,
    card_id: int,
    difficulty: str | None = None,
    rating: int,
    state_before: int | None,
    duration_ms: int | None,
) -> None:
    """Count one new review: `day` is its study day, `difficulty` its card's difficulty (read
    from the card inside the statement when not given)."""
    _add(session, user_id, day, card_id, difficulty, rating, state_before, duration_ms, sign=1)


def forget_review(
    session: Session,
    *,
    user_id: int,
    day: date,
    card_id: int,
    difficulty: str | None = None,
    rating: int,
    state_before: int | None,
    duration_ms: int | None,
) -> None:
    """Uncount a review that was removed (undo): the same arguments `record_review` had."""
    _add(session, user_id, day, card_id, difficulty, rating, state_before, duration_ms, sign=-1)


def _level(card_id: int, difficulty: str | None) -> str | ColumnElement[str]:
    if difficulty is not None:
        return difficulty
    return select(Card.difficulty).where(Card.id == card_id).scalar_subquery()


def record_log(
    session: Session, log: ReviewLog, *, time_zone: str, difficulty: str | None = None
) -> None:
    """`record_review` for a review-log row just written (its user's zone, its card's level)."""
    record_review(
        session,
        user_id=log.user_id,
        day=study_day(log.reviewed_at, time_zone),
        card_id=log.card_id,
        difficulty=difficulty,
        rating=log.rating,
        state_before=log.state_before,
        duration_ms=log.duration_ms,
    )


def forget_log(
    session: Session, log: ReviewLog, *, time_zone: str, difficulty: str | None = None
) -> None:
    """`forget_review` for a review-log row being deleted."""
    forget_review(
        session,
        user_id=log.user_id,
        day=study_day(log.reviewed_at, time_zone),
        card_id=log.card_id,
        difficulty=difficulty,
        rating=log.rating,
        state_before=log.state_before,
        duration_ms=log.duration_ms,
    )


# The two upserts as SQL text: SQLAlchemy cannot cache the compiled form of an insert with
# on_conflict_do_update, and compiling both on every review was half the cost of writing one.
# The statements are the same on SQLite and PostgreSQL. The day's streak is the day before's
# plus one, set when the day becomes a study day; the level is read from the card when the
# caller does not know it.
_COUNT_DAY = text(
    """
    INSERT INTO review_days (user_id, day, reviews, duration_ms, streak)
    VALUES (:user_id, :day, 1, :ms, COALESCE((
        SELECT streak FROM review_days
        WHERE user_id = :user_id AND day = :yesterday AND reviews > 0
    ), 0) + 1)
    ON CONFLICT (user_id, day) DO UPDATE SET
        reviews = review_days.reviews + 1,
        duration_ms = review_days.duration_ms + excluded.duration_ms,
        streak = CASE WHEN review_days.reviews > 0 THEN review_days.streak ELSE excluded.streak END
    """
).bindparams(bindparam("day", type_=Date), bindparam("yesterday", type_=Date))
_COUNT_TOTAL = text(
    """
    INSERT INTO review_totals (user_id, difficulty, reviews, duration_ms, mature_reviews,
                               mature_passed)
    VALUES (:user_id, COALESCE(:level, (SELECT difficulty FROM cards WHERE id = :card_id)), 1,
            :ms, :mature, :passed)
    ON CONFLICT (user_id, difficulty) DO UPDATE SET
        reviews = review_totals.reviews + 1,
        duration_ms = review_totals.duration_ms + excluded.duration_ms,
        mature_reviews = review_totals.mature_reviews + excluded.mature_reviews,
        mature_passed = review_totals.mature_passed + excluded.mature_passed
    """
).bindparams(bindparam("level", type_=String))


def _add(
    session: Session,
    user_id: int,
    day: date,
    card_id: int,
    difficulty: str | None,
    rating: int,
    state_before: int | None,
    duration_ms: int | None,
    *,
    sign: int,
) -> None:
    ms = (duration_ms or 0) * sign
    mature = int(state_before == MATURE) * sign
    passed = int(state_before == MATURE and rating > AGAIN) * sign
    if sign > 0:
        params = {"user_id": user_id, "day": day, "ms": ms, "card_id": card_id}
        session.execute(_COUNT_DAY, {**params, "yesterday": day - timedelta(days=1)})
        counts = {"level": difficulty, "mature": mature, "passed": passed}
        session.execute(_COUNT_TOTAL, {**params, **counts})
        return
    # Removing: never below zero (a row recounted since, e.g. by rebuild_user, stays sane).
    session.execute(
        update(ReviewDay)
        .where(ReviewDay.user_id == user_id, ReviewDay.day == day, ReviewDay.reviews > 0)
        .values(
            reviews=ReviewDay.reviews - 1,
            duration_ms=_floor(ReviewDay.duration_ms + ms),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(ReviewTotal)
        .where(
            ReviewTotal.user_id == user_id,
            ReviewTotal.difficulty == _level(card_id, difficulty),
            ReviewTotal.reviews > 0,
        )
        .values(
            reviews=ReviewTotal.reviews - 1,
            duration_ms=_floor(ReviewTotal.duration_ms + ms),
            mature_reviews=_floor(ReviewTotal.mature_reviews + mature),
            mature_passed=_floor(ReviewTotal.mature_passed + passed),
        )
        .execution_options(synchronize_session=False)
    )


def _floor(value: ColumnElement[int]) -> ColumnElement[int]:
    """max(value, 0) on every backend."""
    return case((value < 0, 0), else_=value)


# --- rebuilding from the log (backfill, a change of time zone, checks) -------------------------


def rebuild_user(session: Session, user: User) -> None:
    """Recount the user's aggregates from the review log, in their current time zone.

    Reads the user's whole history: for rare events (a change of time zone), never per request.
    """
    session.execute(delete(ReviewDay).where(ReviewDay.user_id == user.id))
    session.execute(delete(ReviewTotal).where(ReviewTotal.user_id == user.id))
    rows = session.execute(
        select(
            ReviewLog.reviewed_at,
            ReviewLog.rating,
            ReviewLog.state_before,
            ReviewLog.duration_ms,
            Card.difficulty,
        )
        .join(Card, Card.id == ReviewLog.card_id)
        .where(ReviewLog.user_id == user.id)
    )
    days, totals = count_logs(
        (user.id, user.time_zone, at, rating, before, ms, level)
        for at, rating, before, ms, level in rows
    )
    if days:
        session.execute(insert(ReviewDay), days)
    if totals:
        session.execute(insert(ReviewTotal), totals)


def count_logs(
    rows: Iterable[tuple[int, str, datetime, int, int | None, int | None, str]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Aggregate (user_id, time_zone, reviewed_at, rating, state_before, duration_ms, difficulty)
    rows into `review_days` and `review_totals` rows."""
    days: defaultdict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
    totals: defaultdict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for user_id, zone, at, rating, before, ms, level in rows:
        day = days[(user_id, study_day(at, zone))]
        day[0] += 1
        day[1] += ms or 0
        total = totals[(user_id, level)]
        total[0] += 1
        total[1] += ms or 0
        total[2] += before == MATURE
        total[3] += before == MATURE and rating > AGAIN
    day_rows = []
    run, previous = 0, None
    for (u, d), (n, ms) in sorted(days.items()):
        # The run of consecutive study days ending on this one (per user: users sort apart).
        consecutive = previous == (u, d - timedelta(days=1))
        run = run + 1 if consecutive else 1
        previous = (u, d)
        day_rows.append({"user_id": u, "day": d, "reviews": n, "duration_ms": ms, "streak": run})
    return (
        day_rows,
        [
            {
                "user_id": u,
                "difficulty": level,
                "reviews": n,
                "duration_ms": ms,
                "mature_reviews": mature,
                "mature_passed": passed,
            }
            for (u, level), (n, ms, mature, passed) in totals.items()
        ],
    )
