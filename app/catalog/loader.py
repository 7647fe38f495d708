"""Load deck files into the database: validate everything first, then upsert in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.catalog.schema import CardSpec, DeckFile
from app.catalog.validate import (
    ParsedDeck,
    Problem,
    Registries,
    cross_file_problems,
    meets_standard,
    read_deck_file,
    standard_problems,
)
from app.models import Card, Choice, Deck, Topic, utcnow


class DeckLoadError(Exception):
    """Deck files failed validation; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass
class DeckResult:
    """What loading one deck did."""

    slug: str
    path: Path
    status: str  # created | updated | unchanged
    added: int = 0
    updated: int = 0
    retired: int = 0

    def __str__(self) -> str:
        if self.status == "unchanged":
            return f"{self.slug}: unchanged ({self.path})"
        return (
            f"{self.slug}: {self.status}, {self.added} added, {self.updated} updated, "
            f"{self.retired} retired ({self.path})"
        )


def deck_files(path: Path) -> list[Path]:
    """The deck files at `path`: the file itself, or every *.yaml / *.yml in the directory."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    if path.is_file():
        return [path]
    raise DeckLoadError([Problem(path, 0, "(path)", "no such file or directory")])


def validate_decks(
    paths: list[Path], registries: Registries, known_cards: frozenset[str] = frozenset()
) -> list[ParsedDeck]:
    """Validate every file; raise DeckLoadError listing every problem in every file.

    `known_cards` are card slugs already stored, which `related` lists may also name."""
    parsed: list[ParsedDeck] = []
    problems: list[Problem] = []
    for path in paths:
        result = read_deck_file(path, registries)
        if isinstance(result, list):
            problems.extend(result)
        else:
            if meets_standard(path, registries):
                problems.extend(standard_problems(result, registries))
            parsed.append(result)
    problems.extend(cross_file_problems(parsed, known_cards))
    if problems:
        raise DeckLoadError(problems)
    return parsed


def import_decks(
    session: Session, paths: list[Path], registries: Registries | None = None
) -> list[DeckResult]:
    """Validate `paths`, then upsert each deck; the caller's transaction makes it all-or-nothing."""
    stored = frozenset(session.scalars(select(Card.slug).where(Card.retired_at.is_(None))))
    parsed = validate_decks(paths, registries or Registries(), stored)
    problems = [problem for deck in parsed for problem in _slug_conflicts(session, deck)]
    if problems:
        raise DeckLoadError(problems)
    return [upsert_deck(session, deck) for deck in parsed]


def _slug_conflicts(session: Session, parsed: ParsedDeck) -> list[Problem]:
    """Card slugs are global: one already owned by another deck in the database is an error."""
    index_by_slug = {card.slug: index for index, card in enumerate(parsed.spec.cards)}
    rows = session.execute(
        select(Card.slug, Deck.slug)
        .join(Deck, Card.deck_id == Deck.id)
        .where(Card.slug.in_(index_by_slug), Deck.slug != parsed.spec.deck.slug)
    )
    return [
        parsed.problem(
            ("cards", index_by_slug[card_slug], "slug"),
            f"card slug {card_slug!r} already belongs to deck {deck_slug!r}",
        )
        for card_slug, deck_slug in rows
    ]


def upsert_deck(session: Session, parsed: ParsedDeck) -> DeckResult:
    """Create or update one deck and its cards; cards missing from the file are retired."""
    spec = parsed.spec
    deck = session.scalar(
        select(Deck).where(Deck.slug == spec.deck.slug).options(selectinload(Deck.topics))
    )
    source = str(parsed.path)
    if deck is not None and deck.content_hash == parsed.content_hash and deck.source_path == source:
        return DeckResult(spec.deck.slug, parsed.path, "unchanged")

    result = DeckResult(spec.deck.slug, parsed.path, "created" if deck is None else "updated")
    if deck is None:
        deck = Deck(slug=spec.deck.slug)
        session.add(deck)
    now = utcnow()
    deck.title = spec.deck.title
    deck.description = spec.deck.description
    deck.checklist = list(spec.deck.checklist)
    deck.advice = spec.deck.advice
    deck.advice_demo = spec.deck.advice_demo
    deck.source_path = source
    deck.content_hash = parsed.content_hash
    deck.updated_at = now
    topics = _sync_topics(session, deck, spec)

    existing = (
        {
            card.slug: card
            for card in session.scalars(
                select(Card)
                .where(Card.deck_id == deck.id)
                .options(selectinload(Card.topics), selectinload(Card.choices))
            )
        }
        if deck.id is not None
        else {}
    )
    for card_spec in spec.cards:
        card = existing.pop(card_spec.slug, None)
        if card is None:
            card = Card(slug=card_spec.slug, deck=deck, created_at=now)
            session.add(card)
            result.added += 1
            _apply_card(session, card, card_spec, topics, now)
        elif _card_differs(card, card_spec):
            _apply_card(session, card, card_spec, topics, now)
            result.updated += 1
    for card in existing.values():
        if card.retired_at is None:
            card.retired_at = now
            result.retired += 1
    session.flush()
    return result


def _sync_topics(session: Session, deck: Deck, spec: DeckFile) -> dict[str, Topic]:
    """Make the deck's topics exactly those declared, in order; return them by slug."""
    by_slug = {topic.slug: topic for topic in deck.topics}
    wanted = set(spec.deck.topics)
    for topic in list(deck.topics):
        if topic.slug not in wanted:
            deck.topics.remove(topic)
    for position, slug in enumerate(spec.deck.topics):
        if slug not in by_slug:
            by_slug[slug] = Topic(slug=slug)
            deck.topics.append(by_slug[slug])
        by_slug[slug].position = position
    session.flush()
    return by_slug


def _card_fields(spec: CardSpec) -> dict[str, Any]:
    return {
        "number": spec.number,
        "difficulty": spec.difficulty,
        "question": spec.question,
        "answer": spec.answer,
        "demo_name": spec.demo.name if spec.demo else None,
        "demo_params": dict(spec.demo.params) if spec.demo else {},
        "exercise": spec.exercise,
        "key_points": list(spec.key_points),
        "related": list(spec.related),
    }


def _choice_rows(spec: CardSpec) -> list[tuple[str, bool, str]]:
    return [(choice.text, choice.correct, choice.why) for choice in spec.choices]


def _card_differs(card: Card, spec: CardSpec) -> bool:
    """True when the stored card is not what the file says (or was retired and is back)."""
    return (
        card.retired_at is not None
        or any(getattr(card, name) != value for name, value in _card_fields(spec).items())
        or {topic.slug for topic in card.topics} != set(spec.topics)
        or [(c.text, c.correct, c.why) for c in card.choices] != _choice_rows(spec)
    )


def _apply_card(
    session: Session, card: Card, spec: CardSpec, topics: dict[str, Topic], now: Any
) -> None:
    for name, value in _card_fields(spec).items():
        setattr(card, name, value)
    card.retired_at = None
    card.updated_at = now
    card.topics = [topics[slug] for slug in spec.topics]
    if [(c.text, c.correct, c.why) for c in card.choices] != _choice_rows(spec):
        card.choices.clear()
        session.flush()  # delete old rows first: (card_id, position) is unique
        card.choices.extend(
            Choice(position=position, text=text, correct=correct, why=why)
            for position, (text, correct, why) in enumerate(_choice_rows(spec))
        )
