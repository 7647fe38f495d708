"""A CSV of cards (front, back, difficulty, topics) made a YAML deck: all validated, then loaded."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.loader import DeckLoadError, DeckResult, import_decks
from app.catalog.schema import SLUG_RE, CardSpec, DeckFile, DeckMeta
from app.catalog.validate import MAX_DECK_BYTES, Registries, meets_standard
from app.exports.decks import CSV_COLUMNS
from app.models import Deck

# Cells name the columns users see; the schema's names differ for two of them.
COLUMN_OF_FIELD = {"question": "front", "answer": "back", "difficulty": "difficulty"}
TOPIC_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class CsvProblem:
    """One thing wrong with the CSV, printed as `file:line: column: message`."""

    path: Path
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.column}: {self.message}"


class CsvImportError(Exception):
    """The CSV (or the deck it would make) is not valid; nothing was written."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def parse_deck_csv(path: Path, *, slug: str, title: str) -> DeckFile:
    """Read every row of the CSV into a deck named `slug`; CsvImportError lists every bad row."""
    if not SLUG_RE.fullmatch(slug):
        raise CsvImportError([CsvProblem(path, 0, "--deck", f"{slug!r} is not a slug")])
    rows = _read_rows(path)
    problems: list[CsvProblem] = []
    cards: list[CardSpec] = []
    for number, (line, cells) in enumerate(rows, start=1):
        raw = {
            "slug": f"{slug}-{number}",
            "number": number,
            "difficulty": cells["difficulty"].strip().lower(),
            "topics": [t for t in TOPIC_SEPARATORS.split(cells["topics"].lower()) if t],
            "question": cells["front"],
            "answer": cells["back"],
        }
        try:
            cards.append(CardSpec.model_validate(raw))
        except ValidationError as error:
            problems.extend(_row_problems(path, line, error))
    if not rows:
        problems.append(CsvProblem(path, 1, "(file)", "no cards: the CSV has only its header"))
    if problems:
        raise CsvImportError(problems)
    topics = list(dict.fromkeys(topic for card in cards for topic in card.topics))
    return DeckFile(deck=DeckMeta(slug=slug, title=title or slug, topics=topics), cards=cards)


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(first line, cells by column) for each non-empty row after the header."""
    if not path.is_file():
        raise CsvImportError([CsvProblem(path, 0, "(file)", "no such file")])
    raw = path.read_bytes()
    if len(raw) > MAX_DECK_BYTES:
        raise CsvImportError([CsvProblem(path, 1, "(file)", f"over {MAX_DECK_BYTES:,} bytes")])
    try:
        text = raw.decode("utf-8-sig")  # spreadsheets often write a byte-order mark
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CsvImportError([CsvProblem(path, line, "(file)", "not UTF-8")]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [name for name in CSV_COLUMNS if name not in header]
        unknown = [name for name in header if name not in CSV_COLUMNS]
        if missing or unknown or len(set(header)) != len(header):
            message = f"the header must name the columns {', '.join(CSV_COLUMNS)} once each"
            raise CsvImportError([CsvProblem(path, 1, "(header)", message)])
        rows: list[tuple[int, dict[str, str]]] = []
        problems: list[CsvProblem] = []
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) == len(header):
                    rows.append((start, dict(zip(header, cells, strict=True))))
                else:
                    message = f"{len(cells)} cells, expected {len(header)}"
                    problems.append(CsvProblem(path, start, "(row)", message))
            start = reader.line_num + 1
    except csv.Error as error:
        raise CsvImportError([CsvProblem(path, reader.line_num, "(csv)", str(error))]) from None
    if problems:
        raise CsvImportError(problems)
    return rows


def _row_problems(path: Path, line: int, error: ValidationError) -> list[CsvProblem]:
    problems = []
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "(row)"
        column = COLUMN_OF_FIELD.get(field, "topics" if field == "topics" else field)
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(CsvProblem(path, line, column, message))
    return problems


def import_csv_deck(
    *, session: Session, path: Path, slug: str, title: str, target_dir: Path, registries: Registries
) -> tuple[Path, DeckResult]:
    """Write the CSV as `target_dir/slug.yaml` and load it; on any problem, write nothing."""
    spec = parse_deck_csv(path, slug=slug, title=title)
    target = target_dir / f"{slug}.yaml"
    if session.scalar(select(Deck.id).where(Deck.slug == slug)) is not None:
        raise CsvImportError([CsvProblem(path, 0, "--deck", f"a deck {slug!r} already exists")])
    if target.exists():
        raise CsvImportError([CsvProblem(target, 0, "(file)", "already exists")])
    if not target_dir.is_dir():
        raise CsvImportError([CsvProblem(target_dir, 0, "(dir)", "no such directory")])
    if meets_standard(target, registries):
        message = (
            "the bundled deck directory holds only decks that meet the deck standard (a demo and "
            "key points on every card): set GRADCARDS_EXTRA_CONTENT_DIR or pass --into DIR"
        )
        raise CsvImportError([CsvProblem(target_dir, 0, "--into", message)])
    try:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(deck_yaml(spec))
    except OSError as error:
        raise CsvImportError([CsvProblem(target, 0, "(file)", error.strerror or "")]) from None
    try:
        # The caller's transaction holds the load; a problem rolls it back and the file goes.
        [result] = import_decks(session, [target], registries)
    except DeckLoadError as error:
        target.unlink()
        raise CsvImportError(error.problems) from None
    return target, result


class _DeckDumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks, so the written deck reads like a hand-written one."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_DeckDumper.add_representer(str, _text)


def deck_yaml(spec: DeckFile) -> str:
    """The deck as YAML in the layout of content/*.yaml."""
    data = spec.model_dump(mode="json", exclude_defaults=True)
    return yaml.dump(data, Dumper=_DeckDumper, sort_keys=False, allow_unicode=True, width=100)
