"""Study statistics for one user: reviews per day, true retention, forecast, streak, counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import fsrs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Card, CardState, ReviewLog, User
from app.srs.days import study_day

STATE_NAMES = {None: "new", 1: "learning", 2: "review", 3: "relearning"}


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
    tz = user.time_zone
    today = study_day(now, tz)
    logs = session.execute(
        select(
            ReviewLog.reviewed_at,
            ReviewLog.rating,
            ReviewLog.duration_ms,
            ReviewLog.state_before,
            Card.difficulty,
        )
        .join(Card, Card.id == ReviewLog.card_id)
        .where(ReviewLog.user_id == user.id)
    ).all()
    per_day: Counter[date] = Counter()
    ms_per_day: Counter[date] = Counter()
    mature: Counter[tuple[str, bool]] = Counter()
    for reviewed_at, rating, duration_ms, state_before, difficulty in logs:
        day = study_day(reviewed_at, tz)
        per_day[day] += 1
        ms_per_day[day] += duration_ms or 0
        if state_before == fsrs.State.Review.value:
            mature[(difficulty, rating > fsrs.Rating.Again.value)] += 1
    window = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    by_difficulty = {
        level: Retention(mature[(level, True)] + mature[(level, False)], mature[(level, True)])
        for level in ("easy", "medium", "hard")
    }
    overall = Retention(
        sum(r.reviews for r in by_difficulty.values()),
        sum(r.passed for r in by_difficulty.values()),
    )
    return Stats(
        today=today,
        reviews_per_day=[(day, per_day[day], ms_per_day[day]) for day in window],
        retention=overall,
        retention_by_difficulty=by_difficulty,
        forecast=_forecast(session, user, now, today),
        streak_days=current_streak(set(per_day), today),
        counts=_counts(session, user),
        time_spent_ms=sum(ms_per_day.values()),
        time_spent_today_ms=ms_per_day[today],
    )


def _forecast(session: Session, user: User, now: datetime, today: date) -> list[tuple[date, int]]:
    """Cards due on each of the next 30 study days; today includes everything overdue."""
    dues = session.scalars(
        select(CardState.due)
        .join(Card, Card.id == CardState.card_id)
        .where(
            CardState.user_id == user.id,
            CardState.state.is_not(None),
            CardState.suspended.is_(False),
            Card.retired_at.is_(None),
        )
    )
    counts: Counter[date] = Counter(
        max(today, study_day(due, user.time_zone)) for due in dues if due
    )
    return [(today + timedelta(days=n), counts[today + timedelta(days=n)]) for n in range(30)]


def current_streak(days_studied: set[date], today: date) -> int:
    """Consecutive study days up to today (or up to yesterday, if today has no review yet)."""
    day = today if today in days_studied else today - timedelta(days=1)
    streak = 0
    while day in days_studied:
        streak += 1
        day -= timedelta(days=1)
    return streak


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
