"""Read queries over the catalog: decks with counts, cards with filters and keyset pages."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Select, func, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from app.catalog.schema import is_slug
from app.models import Card, CardTopic, Deck, Topic


class BadCursor(ValueError):
    """A pagination cursor that this server did not produce."""


@dataclass(frozen=True)
class DeckSummary:
    """A deck with the number of its active cards, in total and per difficulty."""

    deck: Deck
    card_count: int
    by_difficulty: dict[str, int]


@dataclass(frozen=True)
class CardFilter:
    """Which active cards to list; None means no constraint."""

    deck: str | None = None
    difficulty: str | None = None
    topic: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class CardPage:
    cards: list[Card]
    next_cursor: str | None


def list_decks(session: Session) -> list[DeckSummary]:
    """Every deck, by title, with its active card counts."""
    decks = session.scalars(select(Deck).options(selectinload(Deck.topics)).order_by(Deck.title))
    counts = _active_card_counts(session)
    return [_summary(deck, counts.get(deck.id, {})) for deck in decks]


def get_deck(session: Session, slug: str) -> DeckSummary | None:
    """One deck by slug, with counts; None when there is no such deck."""
    if not is_slug(slug):
        return None  # e.g. a NUL byte, which PostgreSQL refuses in a query (a 500, not a 404)
    deck = session.scalar(select(Deck).where(Deck.slug == slug).options(selectinload(Deck.topics)))
    if deck is None:
        return None
    return _summary(deck, _active_card_counts(session, deck.id).get(deck.id, {}))


def _summary(deck: Deck, by_difficulty: dict[str, int]) -> DeckSummary:
    return DeckSummary(deck, sum(by_difficulty.values()), by_difficulty)


def _active_card_counts(session: Session, deck_id: int | None = None) -> dict[int, dict[str, int]]:
    """{deck_id: {difficulty: count}} over cards that are not retired."""
    query = (
        select(Card.deck_id, Card.difficulty, func.count())
        .where(Card.retired_at.is_(None))
        .group_by(Card.deck_id, Card.difficulty)
    )
    if deck_id is not None:
        query = query.where(Card.deck_id == deck_id)
    counts: dict[int, dict[str, int]] = {}
    for row_deck_id, difficulty, count in session.execute(query):
        counts.setdefault(row_deck_id, {})[difficulty] = count
    return counts


def get_card(session: Session, slug: str) -> Card | None:
    """One card by slug, retired or not (a retired card's page says so)."""
    if not is_slug(slug):
        return None
    return session.scalar(with_relations(select(Card).where(Card.slug == slug)))


def list_cards(
    session: Session, filters: CardFilter, *, limit: int | None = 50, cursor: str | None = None
) -> CardPage:
    """A page of active cards in (deck, number) order; pass next_cursor for the next page.

    limit=None returns every matching card (a deck page shows its whole deck).
    """
    query = with_relations(select(Card)).where(*active_card_conditions(filters))
    if cursor is not None:
        deck_id, number, card_id = decode_cursor(cursor)
        query = query.where(tuple_(Card.deck_id, Card.number, Card.id) > (deck_id, number, card_id))
    query = query.order_by(Card.deck_id, Card.number, Card.id)
    if limit is not None:
        query = query.limit(limit + 1)
    cards = list(session.scalars(query))
    if limit is None or len(cards) <= limit:
        return CardPage(cards, None)
    last = cards[limit - 1]
    return CardPage(cards[:limit], encode_cursor(last))


def active_card_conditions(filters: CardFilter) -> list[ColumnElement[bool]]:
    """WHERE conditions on Card for the cards `filters` selects (never retired ones).

    Subqueries rather than joins, so callers can add them to any query over Card.
    """
    conditions: list[ColumnElement[bool]] = [Card.retired_at.is_(None)]
    if filters.deck:
        conditions.append(Card.deck_id.in_(select(Deck.id).where(Deck.slug == filters.deck)))
    if filters.difficulty:
        conditions.append(Card.difficulty == filters.difficulty)
    if filters.topic:
        tagged = (
            select(CardTopic.card_id)
            .join(Topic, CardTopic.topic_id == Topic.id)
            .where(Topic.slug == filters.topic)
        )
        conditions.append(Card.id.in_(tagged))
    if filters.q:
        pattern = "%" + _escape_like(filters.q) + "%"
        conditions.append(
            or_(Card.question.ilike(pattern, escape="\\"), Card.answer.ilike(pattern, escape="\\"))
        )
    return conditions


def with_relations(query: Select[tuple[Card]]) -> Select[tuple[Card]]:
    return query.options(
        selectinload(Card.deck), selectinload(Card.topics), selectinload(Card.choices)
    )


def _escape_like(text: str) -> str:
    """Make % and _ in user text match themselves in LIKE."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def encode_cursor(card: Card | Row[tuple[int, int, int]]) -> str:
    """An opaque cursor for the position after `card`."""
    raw = json.dumps([card.deck_id, card.number, card.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int, int]:
    """The (deck_id, number, id) key in `cursor`; BadCursor if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise BadCursor("cursor is not valid; use next_cursor from a previous page") from error
    if not (
        isinstance(value, list)
        and len(value) == 3
        and all(type(part) is int and 0 <= part < 2**31 for part in value)  # INTEGER columns
    ):
        raise BadCursor("cursor is not valid; use next_cursor from a previous page")
    return value[0], value[1], value[2]
