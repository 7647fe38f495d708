"""Finding a card to study, and the per-user flags on it: suspend, bury, reset."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.catalog.schema import is_slug
from app.config import Settings
from app.db import retry_write
from app.models import Card, CardState, User
from app.srs.days import today_bounds
from app.srs.errors import RetiredCard, UnknownCard

DEFAULT_RETRY_SECONDS = Settings.model_fields["write_retry_seconds"].default


def studiable_card(*, session: Session, slug: str) -> Card:
    """The active card called `slug`; UnknownCard or RetiredCard otherwise."""
    card = session.scalar(select(Card).where(Card.slug == slug)) if is_slug(slug) else None
    if card is None:
        raise UnknownCard(f"There is no card called {slug!r}.")
    if card.retired_at is not None:
        raise RetiredCard(f"The card {slug!r} was retired from its deck and cannot be studied.")
    return card


def card_state(*, session: Session, user: User, card: Card) -> CardState | None:
    """The user's state row for `card`, or None if the card is new to them."""
    return session.get(CardState, (user.id, card.id), populate_existing=True)


def ensure_state_row(session: Session, *, user_id: int, card_id: int, now: datetime) -> None:
    """Insert an empty (new-card) state row unless one exists; never raises on a race.

    Only flags (suspend, bury, reset) need a row before any review; studying never does.
    """
    values = {
        "user_id": user_id,
        "card_id": card_id,
        "suspended": False,
        "version": 0,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(CardState).values(**values).on_conflict_do_nothing()
    session.execute(statement)


def _set_flags(
    session: Session, *, user: User, card: Card, now: datetime, **values: object
) -> None:
    user_id, card_id = user.id, card.id

    def write() -> None:
        ensure_state_row(session, user_id=user_id, card_id=card_id, now=now)
        session.execute(
            update(CardState)
            .where(CardState.user_id == user_id, CardState.card_id == card_id)
            .values(updated_at=now, version=CardState.version + 1, **values)
        )

    # Ends any read transaction first, so the write starts from a fresh snapshot with the lock.
    retry_write(session, write, budget_seconds=DEFAULT_RETRY_SECONDS)


def suspend_card(*, session: Session, user: User, card: Card, now: datetime) -> None:
    """Keep `card` out of the user's queue until unsuspended."""
    _set_flags(session, user=user, card=card, now=now, suspended=True)


def unsuspend_card(*, session: Session, user: User, card: Card, now: datetime) -> None:
    """Put a suspended card back in the queue."""
    _set_flags(session, user=user, card=card, now=now, suspended=False)


def bury_card(*, session: Session, user: User, card: Card, now: datetime) -> datetime:
    """Hide `card` until the next study day begins; returns when it comes back."""
    _, day_end = today_bounds(now.astimezone(UTC), user.time_zone)
    _set_flags(session, user=user, card=card, now=now, buried_until=day_end)
    return day_end


def reset_card(*, session: Session, user: User, card: Card, now: datetime) -> None:
    """Forget the schedule: the card is new again. The review log is kept."""
    _set_flags(
        session,
        user=user,
        card=card,
        now=now,
        state=None,
        step=None,
        stability=None,
        difficulty=None,
        due=None,
        last_review=None,
        buried_until=None,
    )
