"""Every card of every deck in content/, as the standard suites see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.catalog.schema import CardSpec
from app.catalog.validate import ParsedDeck, read_deck_file

CONTENT = Path(__file__).resolve().parents[2] / "content"


@dataclass(frozen=True)
class DeckCard:
    deck: str
    slug: str
    demo: str
    params: dict[str, Any] = field(default_factory=dict)
    spec: CardSpec | None = None


def _read(path: Path) -> ParsedDeck:
    parsed = read_deck_file(path)
    assert isinstance(parsed, ParsedDeck), f"{path}: {parsed}"
    return parsed


DECKS: list[ParsedDeck] = [_read(path) for path in sorted(CONTENT.glob("*.yaml"))]
CARDS: list[DeckCard] = [
    DeckCard(
        deck.spec.deck.slug,
        card.slug,
        card.demo.name if card.demo else "",
        dict(card.demo.params) if card.demo else {},
        card,
    )
    for deck in DECKS
    for card in deck.spec.cards
]
