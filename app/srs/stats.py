"""Study statistics for one user: reviews per day, true retention, forecast, streak, counts.

Nothing here reads the review log. Per-day figures and the streak come from `review_days` (a
row per day studied: only the days shown, and the streak walked back only as far as it goes),
all-time figures from `review_totals` (a row per difficulty), the forecast from the due dates
inside its 30 days.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, Date, func, literal, select
from sqlalchemy.orm import Session

from app.models import Card, CardState, ReviewDay, ReviewTotal, User
from app.srs.days import day_start, study_day

STATE_NAMES = {None: "new", 1: "learning", 2: "review", 3: "relearning"}
FORECAST_DAYS = 30


@dataclass(frozen=True)
class Retention:
    """Share of reviews of mature (review-state) cards answered Hard, Good or Easy."""

    reviews: int
    passed: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.reviews if self.reviews else None


@dataclass(frozen=True)
class Stats:
    today: date
    reviews_per_day: list[tuple[date, int, int]]  # (day, reviews, milliseconds)
    retention: Retention
    retention_by_difficulty: dict[str, Retention]
    forecast: list[tuple[date, int]]
    streak_days: int
    counts: dict[str, int]
    time_spent_ms: int
    time_spent_today_ms: int


def user_stats(*, session: Session, user: User, now: datetime, days: int = 30) -> Stats:
    """The user's statistics; per-day figures are by study day in the user's time zone."""
    now = now.astimezone(UTC)
    today = study_day(now, user.time_zone)
    first = today - timedelta(days=max(days, 2) - 1)
    per_day = day_counts(session, user.id, first, today)
    window = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    totals = session.execute(
        select(
            ReviewTotal.difficulty,
            ReviewTotal.duration_ms,
            ReviewTotal.mature_reviews,
            ReviewTotal.mature_passed,
        ).where(ReviewTotal.user_id == user.id)
    ).all()
    mature = {level: Retention(int(n), int(ok)) for level, _, n, ok in totals}
    by_difficulty = {
        level: mature.get(level, Retention(0, 0)) for level in ("easy", "medium", "hard")
    }
    overall = Retention(
        sum(r.reviews for r in by_difficulty.values()),
        sum(r.passed for r in by_difficulty.values()),
    )
    return Stats(
        today=today,
        reviews_per_day=[(day, *per_day.get(day, NO_DAY)[:2]) for day in window],
        retention=overall,
        retention_by_difficulty=by_difficulty,
        forecast=_forecast(session, user, now, today),
        streak_days=streak(session, user.id, today, known=(first, per_day)),
        counts=_counts(session, user),
        time_spent_ms=sum(int(ms) for _, ms, _, _ in totals),
        time_spent_today_ms=per_day.get(today, NO_DAY).duration_ms,
    )


class Day(NamedTuple):
    """A study day's row of `review_days`."""

    reviews: int
    duration_ms: int
    streak: int  # consecutive study days ending on this one, as counted when it was written


NO_DAY = Day(0, 0, 0)


def day_counts(session: Session, user_id: int, first: date, last: date) -> dict[date, Day]:
    """Each study day from `first` to `last` with any review."""
    rows = session.execute(
        select(ReviewDay.day, ReviewDay.reviews, ReviewDay.duration_ms, ReviewDay.streak).where(
            ReviewDay.user_id == user_id,
            ReviewDay.day >= first,
            ReviewDay.day <= last,
            ReviewDay.reviews > 0,
        )
    )
    return {day: Day(int(n), int(ms), int(run)) for day, n, ms, run in rows}


def streak(
    session: Session,
    user_id: int,
    today: date,
    *,
    known: tuple[date, dict[date, Day]] | None = None,
) -> int:
    """Consecutive study days up to today (or up to yesterday, if today has no review yet).

    The streak's last day carries its length, written with its first review. That claim is
    checked, from the days already read (`known`: the first day read and the study days from it
    to today) or with one count over the claimed days; only if reviews were written out of
    order (a change of time zone, a backdated review) does it fail, and the streak is walked
    back day by day instead. Either way one statement at most beyond the days shown.
    """
    yesterday = today - timedelta(days=1)
    first, days = (
        known if known is not None else (yesterday, day_counts(session, user_id, yesterday, today))
    )
    start = today if today in days else yesterday if yesterday in days else None
    if start is None:
        return 0
    claimed = days[start].streak
    edge = start - timedelta(days=claimed)  # the day before the claimed run: not a study day
    if edge >= first:
        run = [start - timedelta(days=n) for n in range(claimed)]
        if edge not in days and all(day in days for day in run):
            return claimed
    else:
        count, earliest = session.execute(
            select(func.count(), func.min(ReviewDay.day)).where(
                ReviewDay.user_id == user_id,
                ReviewDay.day >= edge,
                ReviewDay.day <= start,
                ReviewDay.reviews > 0,
            )
        ).one()
        if count == claimed and earliest != edge:
            return claimed
    return _walk(session, user_id, start)


def _walk(session: Session, user_id: int, start: date) -> int:
    """The run of study days ending on `start`, one primary-key lookup a day, in one statement."""
    walk = select(literal(start, Date).label("day")).cte("streak_walk", recursive=True)
    before = _day_before(session, walk.c.day)
    walk = walk.union_all(
        select(before).where(
            select(ReviewDay.day)
            .where(
                ReviewDay.user_id == user_id,
                ReviewDay.day == before,
                ReviewDay.reviews > 0,
            )
            .exists()
        )
    )
    return int(session.scalar(select(func.count()).select_from(walk)) or 0)


def _day_before(session: Session, day: ColumnElement[date]) -> ColumnElement[date]:
    """The calendar day before `day`, in SQL (SQLite keeps dates as ISO text)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(day, "-1 day", type_=Date)
    return day - 1


def _forecast(session: Session, user: User, now: datetime, today: date) -> list[tuple[date, int]]:
    """Cards due on each of the next 30 study days; today includes everything overdue.

    Reads only the due dates before the window's end (the (user_id, due) index).
    """
    zone = user.time_zone
    starts = [day_start(today + timedelta(days=n), zone) for n in range(1, FORECAST_DAYS + 1)]
    dues = session.scalars(
        select(CardState.due)
        .join(Card, Card.id == CardState.card_id)
        .where(
            CardState.user_id == user.id,
            CardState.due < starts[-1],
            CardState.state.is_not(None),
            CardState.suspended.is_(False),
            Card.retired_at.is_(None),
        )
    )
    counts = [0] * FORECAST_DAYS
    for due in dues:
        if due is not None:
            counts[bisect_right(starts, due)] += 1  # before tomorrow's start (overdue too): today
    return [(today + timedelta(days=n), counts[n]) for n in range(FORECAST_DAYS)]


def _counts(session: Session, user: User) -> dict[str, int]:
    """Active cards by state for this user, plus how many are suspended."""
    rows = session.execute(
        select(CardState.state, CardState.suspended, func.count())
        .join(Card, Card.id == CardState.card_id)
        .where(CardState.user_id == user.id, Card.retired_at.is_(None))
        .group_by(CardState.state, CardState.suspended)
    ).all()
    counts = dict.fromkeys(("new", "learning", "review", "relearning", "suspended"), 0)
    with_rows = 0
    for state, suspended, count in rows:
        with_rows += count
        counts["suspended" if suspended else STATE_NAMES[state]] += count
    total = session.scalar(select(func.count()).where(Card.retired_at.is_(None))) or 0
    counts["new"] += total - with_rows
    return counts
