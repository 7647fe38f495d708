"""Scheduling tables: each user's FSRS state per card, and the append-only review log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String
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
