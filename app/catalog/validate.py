"""Validate deck files completely before anything is written; every problem names file:line."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.catalog.schema import KEY_POINTS_MAX, KEY_POINTS_MIN, DeckFile
from app.catalog.yaml_source import Loc, YamlDocument, parse_yaml

MAX_DECK_BYTES = 2 * 1024 * 1024
# Bump when the loader's meaning of a file changes, so unchanged files are re-loaded once.
LOADER_VERSION = "3"  # 3: cards list related cards


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a deck file, printed as `file:line: field: message`."""

    path: Path
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


@dataclass(frozen=True)
class ParsedDeck:
    """A deck file that passed validation, with its content hash and value lines."""

    path: Path
    spec: DeckFile
    content_hash: str
    document: YamlDocument

    def problem(self, loc: Loc, message: str) -> Problem:
        """A problem at `loc` in this file."""
        return Problem(self.path, self.document.line_of(loc), format_loc(loc), message)


@dataclass(frozen=True)
class Registries:
    """Names a card may refer to; None means that registry does not exist yet (no check)."""

    demos: frozenset[str] | None = None
    exercises: frozenset[str] | None = None
    # Decks under this directory (the bundled decks) must meet the deck standard; see
    # standard_problems. One's own decks (EXTRA_CONTENT_DIR, import-csv) need not.
    standard_dir: Path | None = None
    demo_rules: Mapping[str, tuple[str, ...]] | None = None  # demo name -> engine rules


def format_loc(loc: Loc) -> str:
    """('cards', 3, 'difficulty') -> 'cards[3].difficulty'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def read_deck_file(path: Path) -> ParsedDeck | list[Problem]:
    """Read and validate one deck file on its own (cross-file rules come later)."""
    size = path.stat().st_size
    if size > MAX_DECK_BYTES:
        return [
            Problem(
                path,
                1,
                "(file)",
                f"file is {size:,} bytes; a deck may be at most {MAX_DECK_BYTES:,}",
            )
        ]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return [Problem(path, line, "(file)", f"not UTF-8: byte 0x{raw[error.start]:02x}")]
    try:
        document = parse_yaml(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        if error.context == "expected a single document in the stream":
            return [Problem(path, line, "(yaml)", "a deck file holds one YAML document, not two")]
        return [Problem(path, line, "(yaml)", f"YAML syntax error: {error.problem or error}")]
    except yaml.YAMLError as error:
        return [Problem(path, 1, "(yaml)", f"YAML error: {error}")]

    problems = [
        Problem(path, line, format_loc(loc), "key appears twice")
        for loc, line in document.duplicate_keys
    ] + [
        Problem(path, line, "(yaml)", f"YAML aliases ({alias[0]}) are not allowed in deck files")
        for alias, line in document.aliases
    ]
    if problems:
        return problems
    if not isinstance(document.data, dict):
        kind = "empty" if document.data is None else type(document.data).__name__
        message = f"a deck file must be a mapping with 'deck' and 'cards', not {kind}"
        return [Problem(path, 1, "(file)", message)]
    try:
        spec = DeckFile.model_validate(document.data)
    except ValidationError as error:
        return [
            Problem(path, document.line_of(item["loc"]), format_loc(item["loc"]), _message(item))
            for item in error.errors(include_url=False)
        ]
    parsed = ParsedDeck(path, spec, content_hash(spec), document)
    return deck_rule_problems(parsed) or parsed


def _message(item: Any) -> str:
    """Pydantic's message without its 'Value error, ' prefix on our own validators' errors."""
    return str(item["msg"]).removeprefix("Value error, ")


def content_hash(spec: DeckFile) -> str:
    """A hash of the deck's meaning (not its formatting): equal hash, nothing to write."""
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{LOADER_VERSION}\n{canonical}".encode()).hexdigest()


def deck_rule_problems(parsed: ParsedDeck) -> list[Problem]:
    """Rules that span a deck: unique slugs and numbers, declared topics."""
    spec = parsed.spec
    problems: list[Problem] = []
    declared = set(spec.deck.topics)
    for index, topic in _repeats(spec.deck.topics):
        problems.append(parsed.problem(("deck", "topics", index), f"topic {topic!r} listed twice"))
    for index, slug in _repeats(card.slug for card in spec.cards):
        problems.append(parsed.problem(("cards", index, "slug"), f"duplicate card slug {slug!r}"))
    for index, number in _repeats(card.number for card in spec.cards):
        problems.append(parsed.problem(("cards", index, "number"), f"duplicate number {number}"))
    for index, card in enumerate(spec.cards):
        for position, topic in enumerate(card.topics):
            if topic not in declared:
                message = f"topic {topic!r} is not declared in deck.topics {sorted(declared)}"
                problems.append(parsed.problem(("cards", index, "topics", position), message))
    return problems


def registry_problems(parsed: ParsedDeck, registries: Registries) -> list[Problem]:
    """Cards (and the deck's advice) may only name demos and exercises that exist."""
    problems: list[Problem] = []
    advice_demo = parsed.spec.deck.advice_demo
    if advice_demo and registries.demos is not None and advice_demo not in registries.demos:
        problems.append(parsed.problem(("deck", "advice_demo"), f"unknown demo {advice_demo!r}"))
    for index, card in enumerate(parsed.spec.cards):
        if card.demo and registries.demos is not None and card.demo.name not in registries.demos:
            message = (
                f"unknown demo {card.demo.name!r}; known: {', '.join(sorted(registries.demos))}"
            )
            problems.append(parsed.problem(("cards", index, "demo", "name"), message))
        known = registries.exercises
        if card.exercise and known is not None and card.exercise not in known:
            message = f"unknown exercise {card.exercise!r}; known: {', '.join(sorted(known))}"
            problems.append(parsed.problem(("cards", index, "exercise"), message))
    return problems


def meets_standard(path: Path, registries: Registries) -> bool:
    """Whether the deck at `path` is held to the deck standard (it is a bundled deck)."""
    root = registries.standard_dir
    return root is not None and path.resolve().is_relative_to(root.resolve())


def standard_problems(parsed: ParsedDeck, registries: Registries) -> list[Problem]:
    """The deck standard: every card names a demo that names the engine rules it rests on,
    and lists 2-5 key points."""
    problems: list[Problem] = []
    rules = registries.demo_rules or {}
    for index, card in enumerate(parsed.spec.cards):
        if card.demo is None:
            message = "every card of a bundled deck names a demo that proves its answer"
            problems.append(parsed.problem(("cards", index), message))
        elif registries.demo_rules is not None and not rules.get(card.demo.name):
            message = f"demo {card.demo.name!r} names no engine rules its claim rests on"
            problems.append(parsed.problem(("cards", index, "demo", "name"), message))
        if not card.key_points:
            message = (
                f"every card of a bundled deck lists {KEY_POINTS_MIN}-{KEY_POINTS_MAX} key points"
            )
            problems.append(parsed.problem(("cards", index), message))
    return problems


def cross_file_problems(
    decks: list[ParsedDeck], known_cards: frozenset[str] = frozenset()
) -> list[Problem]:
    """Deck slugs and card slugs are unique across every file loaded together, and each card's
    `related` slugs name other cards among them (or among `known_cards`, already stored)."""
    problems: list[Problem] = []
    deck_owner: dict[str, Path] = {}
    card_owner: dict[str, str] = {}
    for parsed in decks:
        slug = parsed.spec.deck.slug
        if slug in deck_owner:
            message = f"deck slug {slug!r} is also used by {deck_owner[slug]}"
            problems.append(parsed.problem(("deck", "slug"), message))
            continue
        deck_owner[slug] = parsed.path
        for index, card in enumerate(parsed.spec.cards):
            owner = card_owner.setdefault(card.slug, slug)
            if owner != slug:
                message = f"card slug {card.slug!r} is also used in deck {owner!r}"
                problems.append(parsed.problem(("cards", index, "slug"), message))
    for parsed in decks:
        for index, card in enumerate(parsed.spec.cards):
            for position, related in enumerate(card.related):
                loc = ("cards", index, "related", position)
                if related == card.slug:
                    problems.append(parsed.problem(loc, "a card cannot be related to itself"))
                elif related not in card_owner and related not in known_cards:
                    problems.append(parsed.problem(loc, f"related card {related!r} does not exist"))
            for position, repeated in _repeats(card.related):
                loc = ("cards", index, "related", position)
                problems.append(parsed.problem(loc, f"related card {repeated!r} listed twice"))
    return problems


def _repeats(values: Iterable[object]) -> list[tuple[int, object]]:
    """(index, value) for every occurrence of a value after its first."""
    seen: Counter[object] = Counter()
    repeats = []
    for index, value in enumerate(values):
        if seen[value]:
            repeats.append((index, value))
        seen[value] += 1
    return repeats
