"""Scheduling tables: each user's FSRS state per card, the append-only review log, and the
aggregates of that log kept up to date as reviews are written (so stats never read the log)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class CardState(Base):
    """One user's schedule for one card.

    `state` is None for a card that was never reviewed (or was reset) but has a row anyway,
    because it was suspended or buried: fsrs has no "new" state. `version` counts writes, so a
    conditional UPDATE can refuse a write based on a stale read; it also seeds the fuzz.
    """

    __tablename__ = "card_states"
    __table_args__ = (Index("ix_card_states_user_id_due", "user_id", "due"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    card_id: Mapped[int] = mapped_column(
        ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    state: Mapped[int | None] = mapped_column(SmallInteger)
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime | None]
    last_review: Mapped[datetime | None]
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    buried_until: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewLog(Base):
    """One review: the rating, and the state before and after, so undo restores it exactly."""

    __tablename__ = "review_logs"
    __table_args__ = (
        Index("ix_review_logs_user_id_reviewed_at", "user_id", "reviewed_at"),
        Index("ix_review_logs_user_id_card_id", "user_id", "card_id"),
        Index("ix_review_logs_user_id_idempotency_key", "user_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    reviewed_at: Mapped[datetime]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    state_before: Mapped[int | None] = mapped_column(SmallInteger)
    step_before: Mapped[int | None] = mapped_column(Integer)
    stability_before: Mapped[float | None] = mapped_column(Float)
    difficulty_before: Mapped[float | None] = mapped_column(Float)
    due_before: Mapped[datetime | None]
    last_review_before: Mapped[datetime | None]
    # A review unburies its card; undo must bury it again (restore the state exactly).
    buried_until_before: Mapped[datetime | None]
    state_after: Mapped[int] = mapped_column(SmallInteger)
    step_after: Mapped[int | None] = mapped_column(Integer)
    stability_after: Mapped[float] = mapped_column(Float)
    difficulty_after: Mapped[float] = mapped_column(Float)
    due_after: Mapped[datetime]


class ReviewDay(Base):
    """One user's reviews on one study day (the day in the user's time zone at review time).

    Written with each review (app.srs.aggregates), so the heatmap, reviews per day and the
    streak read a row per day studied instead of every review. `streak` is the run of
    consecutive study days ending on this one, set when the day's first review is counted (a
    hint the reader checks: app.srs.stats.streak).
    """

    __tablename__ = "review_days"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    streak: Mapped[int] = mapped_column(Integer, default=1)


class ReviewTotal(Base):
    """One user's reviews of all time, per card difficulty: a row per difficulty, whatever the
    history. `mature_*` count reviews of review-state cards and those answered Hard or better
    (true retention)."""

    __tablename__ = "review_totals"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    difficulty: Mapped[str] = mapped_column(String(10), primary_key=True)
    reviews: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    mature_reviews: Mapped[int] = mapped_column(BigInteger, default=0)
    mature_passed: Mapped[int] = mapped_column(BigInteger, default=0)


class QuizResult(Base):
    """One finished quiz: what it covered and the score. Kept whether or not its answers went
    into the schedule, so the stats page can show how quizzes went over time."""

    __tablename__ = "quiz_results"
    __table_args__ = (Index("ix_quiz_results_user_id_taken_at", "user_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime]
    deck: Mapped[str | None] = mapped_column(String(100))  # the deck filter, if there was one
    scope: Mapped[str] = mapped_column(String(200))  # the selection in words
    right: Mapped[int] = mapped_column(SmallInteger)
    total: Mapped[int] = mapped_column(SmallInteger)
