"""A user's review history as CSV, oldest first, one row per review."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Card, Deck, ReviewLog, User

REVIEW_COLUMNS = (
    "reviewed_at",
    "deck",
    "card",
    "rating",
    "duration_ms",
    "state_before",
    "state_after",
    "stability_after",
    "difficulty_after",
    "due_after",
)
RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}
# fsrs.State values; "new" for a card that had no schedule before the review.
STATE_NAMES = {None: "new", 1: "learning", 2: "review", 3: "relearning"}


def review_rows(*, session: Session, user: User) -> Iterator[list[str]]:
    """The user's reviews as CSV fields, oldest first (times in UTC, ISO 8601)."""
    rows = session.execute(
        select(ReviewLog, Card.slug, Deck.slug)
        .join(Card, Card.id == ReviewLog.card_id)
        .join(Deck, Deck.id == Card.deck_id)
        .where(ReviewLog.user_id == user.id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
        .execution_options(yield_per=500)
    )
    for log, card, deck in rows:
        yield [
            log.reviewed_at.isoformat(),
            deck,
            card,
            RATING_NAMES[log.rating],
            "" if log.duration_ms is None else str(log.duration_ms),
            STATE_NAMES.get(log.state_before, str(log.state_before)),
            STATE_NAMES.get(log.state_after, str(log.state_after)),
            repr(log.stability_after),
            repr(log.difficulty_after),
            log.due_after.isoformat(),
        ]


def review_history_csv(*, session: Session, user: User) -> str:
    """The whole review history of `user` as CSV text with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    writer.writerows(review_rows(session=session, user=user))
    return out.getvalue()
