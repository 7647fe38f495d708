"""The home page's view of one user: each deck's due and new counts, today's work, the streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.catalog.queries import DeckSummary, list_decks
from app.models import User
from app.srs.days import study_day
from app.srs.queue import StudyFilter, study_queue
from app.srs.stats import NO_DAY, day_counts, streak


@dataclass(frozen=True)
class DeckProgress:
    """A deck with what the user has left to study in it today."""

    summary: DeckSummary
    due: int
    new: int


@dataclass(frozen=True)
class Overview:
    """A user's decks and today's figures (study days roll over at 4 AM local time)."""

    decks: list[DeckProgress]
    left_today: int  # due + new across all decks (the new-card limit is shared by the decks)
    reviews_today: int
    time_today_ms: int
    streak_days: int


def user_overview(*, session: Session, user: User, now: datetime) -> Overview:
    """Every deck with the user's due and new counts for today, and today's progress."""
    now = now.astimezone(UTC)
    decks = []
    for summary in list_decks(session):
        queue = study_queue(
            session=session, user=user, now=now, filters=StudyFilter(deck=summary.deck.slug)
        )
        decks.append(DeckProgress(summary, len(queue.due), min(queue.new_left, len(queue.new))))
    everything = study_queue(session=session, user=user, now=now, filters=StudyFilter())
    # Today's figures and the streak from review_days (never the log).
    today = study_day(now, user.time_zone)
    yesterday = today - timedelta(days=1)
    recent = day_counts(session, user.id, yesterday, today)
    reviews_today, time_today, _ = recent.get(today, NO_DAY)
    return Overview(
        decks=decks,
        left_today=len(everything.due) + min(everything.new_left, len(everything.new)),
        reviews_today=int(reviews_today),
        time_today_ms=int(time_today),
        streak_days=streak(session, user.id, today, known=(yesterday, recent)),
    )
