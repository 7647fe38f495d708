"""Request and response models of the per-user study API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import fsrs
from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas import CardOut
from app.models import Card, CardState, ReviewLog
from app.srs.stats import STATE_NAMES, Retention, Stats

StateName = Literal["new", "learning", "review", "relearning"]
RATING_LABELS = {1: "again", 2: "hard", 3: "good", 4: "easy"}


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card: str = Field(min_length=1, max_length=100, description="The card's slug.")
    rating: int = Field(ge=1, le=4, description="1 again, 2 hard, 3 good, 4 easy.")
    duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00]+$",  # PostgreSQL refuses NUL in text
        description="Resend safely: one review per key.",
    )


class StateOut(BaseModel):
    card: str
    deck: str | None = Field(default=None, description="The card's deck title.")
    number: int | None = Field(default=None, description="The card's number in its deck.")
    state: StateName
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    suspended: bool = False
    buried_until: datetime | None = None

    @classmethod
    def of_card(cls, card: Card, row: CardState | None) -> StateOut:
        """The state of `card`, named by its deck and number as well as its slug."""
        return cls.of(card.slug, row, deck=card.deck.title, number=card.number)

    @classmethod
    def of(
        cls, slug: str, row: CardState | None, *, deck: str | None = None, number: int | None = None
    ) -> StateOut:
        if row is None:
            return cls(card=slug, deck=deck, number=number, state="new")
        return cls(
            card=slug,
            deck=deck,
            number=number,
            state=STATE_NAMES[row.state],  # type: ignore[arg-type]
            step=row.step,
            stability=row.stability,
            difficulty=row.difficulty,
            due=row.due,
            last_review=row.last_review,
            suspended=row.suspended,
            buried_until=row.buried_until,
        )


class ReviewOut(BaseModel):
    id: int
    card: str
    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    state: StateName = Field(description="The card's state after this review.")
    due: datetime = Field(description="When the card is next due.")
    interval_seconds: int = Field(description="due - reviewed_at.")
    stability: float
    difficulty: float
    replayed: bool = Field(default=False, description="True when the idempotency key was seen.")

    @classmethod
    def of(cls, slug: str, log: ReviewLog, *, replayed: bool = False) -> ReviewOut:
        return cls(
            id=log.id,
            card=slug,
            rating=log.rating,
            reviewed_at=log.reviewed_at,
            duration_ms=log.duration_ms,
            state=STATE_NAMES[log.state_after],  # type: ignore[arg-type]
            due=log.due_after,
            interval_seconds=int((log.due_after - log.reviewed_at).total_seconds()),
            stability=log.stability_after,
            difficulty=log.difficulty_after,
            replayed=replayed,
        )


class CardInfoOut(StateOut):
    retrievability: float | None = Field(
        description="FSRS's probability of recall right now (null for a card never reviewed)."
    )
    lapses: int = Field(description="Times the card was rated Again while in review.")
    reviews: list[ReviewOut] = Field(description="The card's reviews, newest first (at most 200).")


class ButtonOut(BaseModel):
    rating: int
    label: Literal["again", "hard", "good", "easy"]
    due: datetime
    interval_seconds: int = Field(description="Exactly the interval this rating will apply.")

    @classmethod
    def of(cls, rating: int, outcome: fsrs.Card, now: datetime) -> ButtonOut:
        return cls(
            rating=rating,
            label=RATING_LABELS[rating],  # type: ignore[arg-type]
            due=outcome.due,
            interval_seconds=int((outcome.due - now).total_seconds()),
        )


class SessionEndOut(BaseModel):
    new_waiting: int = Field(description="New cards of the selection held back by today's limit.")
    next_learning_due: datetime | None = Field(
        description="When the soonest learning or relearning step comes back (null if none)."
    )
    new_limit_today: int = Field(description="Today's new-card limit, any raise included.")


class NextOut(BaseModel):
    card: CardOut | None = Field(description="null when nothing is left to study today.")
    state: StateOut | None
    buttons: list[ButtonOut]
    due_left: int = Field(description="Due cards left today: learning_left + review_left.")
    learning_left: int = Field(default=0, description="Learning and relearning steps due now.")
    review_left: int = Field(default=0, description="Review cards due today (within the limit).")
    new_left: int = Field(description="New cards left today (within the new-card limit).")
    end: SessionEndOut | None = Field(
        default=None, description="When nothing is left: what waits, and when the next step is due."
    )


class NewLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extra: int = Field(ge=1, le=500, description="More new cards for today only.")


class NewLimitOut(BaseModel):
    new_per_day: int
    new_limit_today: int = Field(description="new_per_day plus today's extra.")


class RetentionOut(BaseModel):
    reviews: int
    passed: int
    rate: float | None

    @classmethod
    def of(cls, retention: Retention) -> RetentionOut:
        return cls(reviews=retention.reviews, passed=retention.passed, rate=retention.rate)


class DayOut(BaseModel):
    date: str
    reviews: int
    time_ms: int


class ForecastOut(BaseModel):
    date: str
    due: int


class StatsOut(BaseModel):
    today: str
    reviews_per_day: list[DayOut]
    retention: RetentionOut = Field(description="True retention on review-state cards.")
    retention_by_difficulty: dict[str, RetentionOut]
    forecast: list[ForecastOut] = Field(description="Due cards per day for the next 30 days.")
    streak_days: int
    counts: dict[str, int] = Field(description="Active cards by state, and suspended.")
    time_spent_ms: int
    time_spent_today_ms: int

    @classmethod
    def of(cls, stats: Stats) -> StatsOut:
        return cls(
            today=stats.today.isoformat(),
            reviews_per_day=[
                DayOut(date=day.isoformat(), reviews=n, time_ms=ms)
                for day, n, ms in stats.reviews_per_day
            ],
            retention=RetentionOut.of(stats.retention),
            retention_by_difficulty={
                level: RetentionOut.of(r) for level, r in stats.retention_by_difficulty.items()
            },
            forecast=[ForecastOut(date=day.isoformat(), due=n) for day, n in stats.forecast],
            streak_days=stats.streak_days,
            counts=stats.counts,
            time_spent_ms=stats.time_spent_ms,
            time_spent_today_ms=stats.time_spent_today_ms,
        )
