"""Validate deck files completely before anything is written; every problem names file:line."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.catalog.schema import (
    KEY_POINTS_MAX,
    KEY_POINTS_MIN,
    CardSpec,
    ChoiceSpec,
    DeckFile,
    DeckMeta,
    DemoSpec,
)
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
        # Line 0: the problem is the file itself (missing, unreadable), not a line in it.
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.field}: {self.message}"


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

    def parts(self) -> DeckParts:
        """The whole deck as parts, for the rules that also run on a partly valid file."""
        return DeckParts(self.path, self.document, self.spec.deck, list(enumerate(self.spec.cards)))


@dataclass(frozen=True)
class DeckParts:
    """What validated in a deck file: its header (or None) and its valid cards by index.

    A file with schema errors is still checked card by card, so one run reports every problem
    (an undeclared topic on card 2 as well as a missing field on card 1)."""

    path: Path
    document: YamlDocument
    meta: DeckMeta | None
    cards: list[tuple[int, CardSpec]]

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


def read_deck_file(path: Path, registries: Registries | None = None) -> ParsedDeck | list[Problem]:
    """Read and validate one deck file on its own (cross-file rules come later); with
    `registries`, the demos and exercises it names must exist."""
    try:
        size = path.stat().st_size
        raw = path.read_bytes() if size <= MAX_DECK_BYTES else b""
    except FileNotFoundError:
        return [Problem(path, 0, "(path)", "no such file or directory")]
    except OSError as error:  # a directory, no permission, an I/O error
        return [Problem(path, 0, "(path)", f"cannot read: {error.strerror or error}")]
    if size > MAX_DECK_BYTES:
        return [
            Problem(
                path,
                1,
                "(file)",
                f"file is {size:,} bytes; a deck may be at most {MAX_DECK_BYTES:,}",
            )
        ]
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
        parts = _valid_parts(path, document)
        return (
            _schema_problems(path, document, error)
            + deck_rule_problems(parts)
            + (registry_problems(parts, registries) if registries else [])
        )
    parsed = ParsedDeck(path, spec, content_hash(spec), document)
    problems = deck_rule_problems(parsed.parts())
    if registries:
        problems += registry_problems(parsed.parts(), registries)
    return problems or parsed


def _valid_parts(path: Path, document: YamlDocument) -> DeckParts:
    """The header and the cards of a schema-failing file that validate on their own."""
    data = document.data if isinstance(document.data, dict) else {}
    meta = _valid_or_none(DeckMeta, data.get("deck"))
    raw_cards = data.get("cards")
    cards = [
        (index, card)
        for index, raw in enumerate(raw_cards if isinstance(raw_cards, list) else [])
        if (card := _valid_or_none(CardSpec, raw)) is not None
    ]
    return DeckParts(path, document, meta, cards)


M = TypeVar("M", bound=BaseModel)


def _valid_or_none(model: type[M], data: object) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


# The model whose keys a location's mapping may hold, by the location's shape, for "did you mean".
_MODEL_AT: dict[tuple[str, ...], type[BaseModel]] = {
    (): DeckFile,
    ("deck",): DeckMeta,
    ("cards", "#"): CardSpec,
    ("cards", "#", "demo"): DemoSpec,
    ("cards", "#", "choices", "#"): ChoiceSpec,
}


def _schema_problems(path: Path, document: YamlDocument, error: ValidationError) -> list[Problem]:
    """Pydantic's errors as problems; a misspelt key is one line that names the likely key,
    instead of 'extra input' here and 'field required' for the key it was meant to be."""
    items = error.errors(include_url=False)
    missing = {tuple(item["loc"]) for item in items if item["type"] == "missing"}
    explained: set[tuple[object, ...]] = set()
    problems = []
    for item in items:
        loc = tuple(item["loc"])
        message = _message(item)
        if item["type"] == "extra_forbidden":
            parent, key = loc[:-1], str(loc[-1])
            shape = tuple("#" if isinstance(part, int) else str(part) for part in parent)
            model = _MODEL_AT.get(shape)
            known = sorted(model.model_fields) if model else []
            guess = difflib.get_close_matches(key, known, n=1)
            message = f"unknown key {key!r}" + (
                f"; did you mean {guess[0]!r}?" if guess else f"; allowed: {', '.join(known)}"
            )
            if guess and (*parent, guess[0]) in missing:
                explained.add((*parent, guess[0]))
        problems.append((loc, message))
    return [
        Problem(path, document.line_of(loc), format_loc(loc), message)
        for loc, message in problems
        if loc not in explained
    ]


def _message(item: Any) -> str:
    """Pydantic's message without its 'Value error, ' prefix on our own validators' errors."""
    return str(item["msg"]).removeprefix("Value error, ")


def content_hash(spec: DeckFile) -> str:
    """A hash of the deck's meaning (not its formatting): equal hash, nothing to write."""
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{LOADER_VERSION}\n{canonical}".encode()).hexdigest()


def deck_rule_problems(parts: DeckParts) -> list[Problem]:
    """Rules that span a deck: unique slugs and numbers, declared topics."""
    problems: list[Problem] = []
    indices = [index for index, _ in parts.cards]
    if parts.meta is not None:
        declared = set(parts.meta.topics)
        for index, topic in _repeats(parts.meta.topics):
            loc = ("deck", "topics", index)
            problems.append(parts.problem(loc, f"topic {topic!r} listed twice"))
        for index, card in parts.cards:
            for position, topic in enumerate(card.topics):
                if topic not in declared:
                    message = f"topic {topic!r} is not declared in deck.topics {sorted(declared)}"
                    problems.append(parts.problem(("cards", index, "topics", position), message))
    for at, slug in _repeats(card.slug for _, card in parts.cards):
        problems.append(
            parts.problem(("cards", indices[at], "slug"), f"duplicate card slug {slug!r}")
        )
    for at, number in _repeats(card.number for _, card in parts.cards):
        problems.append(
            parts.problem(("cards", indices[at], "number"), f"duplicate number {number}")
        )
    return problems


def registry_problems(parsed: DeckParts, registries: Registries) -> list[Problem]:
    """Cards (and the deck's advice) may only name demos and exercises that exist."""
    problems: list[Problem] = []
    advice_demo = parsed.meta.advice_demo if parsed.meta else None
    demos, exercises = registries.demos, registries.exercises
    if advice_demo and demos is not None and advice_demo not in demos:
        message = _unknown("demo", advice_demo, demos)
        problems.append(parsed.problem(("deck", "advice_demo"), message))
    for index, card in parsed.cards:
        if card.demo and demos is not None and card.demo.name not in demos:
            message = _unknown("demo", card.demo.name, demos)
            problems.append(parsed.problem(("cards", index, "demo", "name"), message))
        if card.exercise and exercises is not None and card.exercise not in exercises:
            message = _unknown("exercise", card.exercise, exercises)
            problems.append(parsed.problem(("cards", index, "exercise"), message))
    return problems


def _unknown(kind: str, name: str, known: frozenset[str]) -> str:
    """'unknown demo ...', with the nearest known name; the whole list only when it is short."""
    guess = difflib.get_close_matches(name, sorted(known), n=1)
    if guess:
        return f"unknown {kind} {name!r}; did you mean {guess[0]!r}?"
    if len(known) <= 12:
        return f"unknown {kind} {name!r}; known: {', '.join(sorted(known))}"
    hint = "gradcards demo --list" if kind == "demo" else "GET /api/v1/exercises"
    return f"unknown {kind} {name!r}; {len(known)} exist (see `{hint}`)"


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
