"""A deck's live cards as CSV (front, back, difficulty, topics): what import-csv reads."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.catalog.schema import is_slug
from app.models import Card, Deck

CSV_COLUMNS = ("front", "back", "difficulty", "topics")


class UnknownDeck(LookupError):
    """No deck has that slug."""


@dataclass(frozen=True)
class ExportedCard:
    """One card as it leaves the app: Markdown text with $ math, topics in deck order."""

    slug: str
    number: int
    front: str
    back: str
    difficulty: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class ExportedDeck:
    """A deck's title and its live (not retired) cards in number order."""

    slug: str
    title: str
    cards: list[ExportedCard]


def exported_deck(*, session: Session, slug: str) -> ExportedDeck:
    """The deck `slug` and its live cards; UnknownDeck when there is no such deck."""
    # is_slug first: PostgreSQL answers some strings (NUL) with an error, not a miss.
    deck = session.scalar(select(Deck).where(Deck.slug == slug)) if is_slug(slug) else None
    if deck is None:
        raise UnknownDeck(f"deck {slug!r} not found")
    cards = session.scalars(
        select(Card)
        .where(Card.deck_id == deck.id, Card.retired_at.is_(None))
        .order_by(Card.number)
        .options(selectinload(Card.topics))
    )
    return ExportedDeck(
        slug=deck.slug,
        title=deck.title,
        cards=[
            ExportedCard(
                slug=card.slug,
                number=card.number,
                front=card.question,
                back=card.answer,
                difficulty=card.difficulty,
                topics=tuple(topic.slug for topic in card.topics),
            )
            for card in cards
        ],
    )


def deck_csv(deck: ExportedDeck) -> str:
    """The deck as CSV with a header row; topics are space-separated, like Anki tags."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for card in deck.cards:
        writer.writerow([card.front, card.back, card.difficulty, " ".join(card.topics)])
    return out.getvalue()
