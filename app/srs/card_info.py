"""What Anki's Card Info shows for one user's card: its schedule, recall odds now, lapses and
every review of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import fsrs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Card, CardState, ReviewLog, User
from app.srs.cards import card_state
from app.srs.scheduler import fsrs_card

MAX_HISTORY = 200  # reviews listed; a card reviewed more often than this shows the newest


@dataclass(frozen=True)
class CardInfo:
    state: CardState | None
    retrievability: float | None  # P(recall) now under FSRS; None for a card never reviewed
    lapses: int  # times a card in review was rated Again
    reviews: list[ReviewLog]  # newest first


def card_info(*, session: Session, user: User, card: Card, now: datetime) -> CardInfo:
    """The user's schedule of `card`, the FSRS retrievability at `now` and its review history."""
    row = card_state(session=session, user=user, card=card)
    reviews = list(
        session.scalars(
            select(ReviewLog)
            .where(ReviewLog.user_id == user.id, ReviewLog.card_id == card.id)
            .order_by(ReviewLog.id.desc())
            .limit(MAX_HISTORY)
        )
    )
    # Counted over every review, not the listed ones: a card may have more than MAX_HISTORY.
    lapses = session.scalar(
        select(func.count()).where(
            ReviewLog.user_id == user.id,
            ReviewLog.card_id == card.id,
            ReviewLog.rating == 1,
            ReviewLog.state_before == fsrs.State.Review.value,
        )
    )
    odds = None
    if row is not None and row.state is not None and row.last_review is not None:
        scheduler = fsrs.Scheduler(desired_retention=user.desired_retention)
        odds = scheduler.get_card_retrievability(
            fsrs_card(row, now=now), current_datetime=now.astimezone(UTC)
        )
    return CardInfo(row, odds, int(lapses or 0), reviews)
