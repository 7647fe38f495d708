"""Malformed deck files: each gets a `file:line: field: message` error and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.catalog.loader import DeckLoadError, import_decks
from app.catalog.validate import MAX_DECK_BYTES
from app.config import Settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.migrate import upgrade
from tests.catalog.test_loader import GOOD
from tests.dbstate import sqlite_file_digest, table_rows

HEADER = """\
deck:
  slug: broken
  title: Broken deck
  topics: [chain-rule, gradients]
cards:
"""  # the first card starts on line 6

CARD = """\
  - slug: one
    number: 1
    difficulty: easy
    topics: [chain-rule]
    question: What is one?
    answer: One.
"""


def deck(cards: str = CARD, header: str = HEADER) -> bytes:
    return (header + cards).encode()


def with_choices(choices: str) -> bytes:
    return deck(CARD + "    choices:\n" + choices)


# (name, file bytes, the expected line, field, and a phrase of the message)
MALFORMED: list[tuple[str, Callable[[], bytes], int, str, str]] = [
    (
        "yaml-syntax",
        lambda: deck(CARD.replace("[chain-rule]", "[chain-rule")),
        10,
        "(yaml)",
        "YAML syntax error",
    ),
    (
        "tab-indent",
        lambda: deck(CARD.replace("    answer", "\tanswer")),
        11,
        "(yaml)",
        "YAML syntax error",
    ),
    (
        "wrong-type",
        lambda: deck(CARD.replace("number: 1", "number: first")),
        7,
        "cards[0].number",
        "Input should be a valid integer",
    ),
    (
        "number-as-string",
        lambda: deck(CARD.replace("number: 1", "number: '1'")),
        7,
        "cards[0].number",
        "Input should be a valid integer",
    ),
    (
        "missing-field",
        lambda: deck(CARD.replace("    answer: One.\n", "")),
        6,
        "cards[0].answer",
        "Field required",
    ),
    (
        "unknown-difficulty",
        lambda: deck(CARD.replace("easy", "trivial")),
        8,
        "cards[0].difficulty",
        "Input should be 'easy', 'medium' or 'hard'",
    ),
    (
        "duplicate-slug",
        lambda: deck(CARD + CARD.replace("number: 1", "number: 2")),
        12,
        "cards[1].slug",
        "duplicate card slug 'one'",
    ),
    (
        "duplicate-number",
        lambda: deck(CARD + CARD.replace("slug: one", "slug: two")),
        13,
        "cards[1].number",
        "duplicate number 1",
    ),
    (
        "two-correct-choices",
        lambda: with_choices(
            "      - {text: A, correct: true, why: Because.}\n"
            "      - {text: B, correct: true, why: Also.}\n"
        ),
        13,
        "cards[0].choices",
        "exactly one choice must be correct, found 2",
    ),
    (
        "no-correct-choice",
        lambda: with_choices("      - {text: A, why: Because.}\n      - {text: B, why: Also.}\n"),
        13,
        "cards[0].choices",
        "exactly one choice must be correct, found 0",
    ),
    (
        "choice-without-why",
        lambda: with_choices("      - {text: A, correct: true}\n      - {text: B, why: Also.}\n"),
        13,
        "cards[0].choices[0].why",
        "Field required",
    ),
    (
        "undeclared-topic",
        lambda: deck(CARD.replace("[chain-rule]", "[chain-rule, optimisers]")),
        9,
        "cards[0].topics[1]",
        "topic 'optimisers' is not declared",
    ),
    (
        "empty-question",
        lambda: deck(CARD.replace("What is one?", "'   '")),
        10,
        "cards[0].question",
        "must not be empty",
    ),
    (
        "bad-slug",
        lambda: deck(CARD.replace("slug: one", "slug: Card One")),
        6,
        "cards[0].slug",
        "'Card One' is not a slug",
    ),
    (
        "unknown-field",
        lambda: deck(CARD.replace("question:", "questoin:")),
        10,
        "cards[0].questoin",
        "unknown key 'questoin'; did you mean 'question'?",
    ),
    (
        "duplicate-key",
        lambda: deck(CARD + "    answer: Two.\n"),
        12,
        "cards[0].answer",
        "key appears twice",
    ),
    (
        "list-not-mapping",
        lambda: b"- slug: one\n- slug: two\n",
        1,
        "(file)",
        "must be a mapping with 'deck' and 'cards', not list",
    ),
    ("empty-file", lambda: b"# nothing here\n", 1, "(file)", "not empty"),
    (
        "non-utf8",
        lambda: deck(CARD.replace("One.", "Caf\xe9.")).replace(b"\xc3\xa9", b"\xe9"),
        11,
        "(file)",
        "not UTF-8: byte 0xe9",
    ),
    (
        "too-large",
        lambda: deck() + b"# " + b"x" * (10 * 1024 * 1024) + b"\n",
        1,
        "(file)",
        f"a deck may be at most {MAX_DECK_BYTES:,}",
    ),
    (
        "no-cards",
        lambda: deck(cards="  []\n").replace(b"cards:\n  []", b"cards: []"),
        5,
        "cards",
        "List should have at least 1 item",
    ),
    (
        "deck-without-topics",
        lambda: deck(header=HEADER.replace("  topics: [chain-rule, gradients]\n", "")),
        2,
        "deck.topics",
        "Field required",
    ),
    (
        "yaml-alias",
        lambda: deck(
            CARD
            + CARD.replace("  - slug: one", "  - &c\n    slug: two").replace(
                "number: 1", "number: 2"
            )
            + "  - *c\n"
        ),
        19,
        "(yaml)",
        "YAML aliases (*c) are not allowed",
    ),
    (
        "two-documents",
        lambda: deck() + b"---\ndeck: {}\n",
        12,
        "(yaml)",
        "one YAML document, not two",
    ),
]


@pytest.fixture
def broken_file(tmp_path: Path) -> Callable[[bytes], Path]:
    def write(content: bytes) -> Path:
        path = tmp_path / "broken.yaml"
        path.write_bytes(content)
        return path

    return write


@pytest.mark.parametrize(
    ("content", "line", "field", "phrase"),
    [pytest.param(*case[1:], id=case[0]) for case in MALFORMED],
)
def test_malformed_deck_is_refused_with_file_line_and_field_and_nothing_changes(
    session: Session,
    migrated: Settings,
    broken_file: Callable[[bytes], Path],
    content: Callable[[], bytes],
    line: int,
    field: str,
    phrase: str,
) -> None:
    import_decks(session, [GOOD])  # existing data that must survive untouched
    session.commit()
    before = table_rows(migrated.database_url)
    path = broken_file(content())

    # The good file is loaded together with the bad one: it must not be written either.
    with pytest.raises(DeckLoadError) as raised:
        import_decks(session, [GOOD, path])
    session.rollback()

    problems = [str(problem) for problem in raised.value.problems]
    expected_start = f"{path}:{line}: {field}: "
    matching = [p for p in problems if p.startswith(expected_start) and phrase in p]
    assert matching, f"expected {expected_start}...{phrase}... in {problems}"
    assert table_rows(migrated.database_url) == before


def test_there_are_at_least_fifteen_malformed_cases() -> None:
    assert len({case[0] for case in MALFORMED}) >= 15


def test_every_problem_in_every_file_is_reported_at_once(session: Session, tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_bytes(deck(CARD.replace("easy", "trivial").replace("number: 1", "number: x")))
    second = tmp_path / "b.yaml"
    second.write_bytes(b"- not a deck\n")
    with pytest.raises(DeckLoadError) as raised:
        import_decks(session, [first, second])
    assert [f"{p.path.name}:{p.line}: {p.field}" for p in raised.value.problems] == [
        "a.yaml:7: cards[0].number",
        "a.yaml:8: cards[0].difficulty",
        "b.yaml:1: (file)",
    ]


def test_a_schema_error_on_one_card_does_not_hide_the_other_cards_problems(
    session: Session, tmp_path: Path
) -> None:
    # Card 1 misses a field; cards 2 and 3 are valid on their own but share a slug, and card 2
    # names an undeclared topic: all three are reported in the same run, not one fix at a time.
    second = CARD.replace("one", "two").replace("number: 1", "number: 2")
    third = second.replace("number: 2", "number: 3")
    second = second.replace("[chain-rule]", "[no-such-topic]")
    path = tmp_path / "a.yaml"
    path.write_bytes(deck(CARD.replace("    answer: One.\n", "") + second + third))
    with pytest.raises(DeckLoadError) as raised:
        import_decks(session, [path])
    assert [f"{p.line}: {p.field}: {p.message}" for p in raised.value.problems] == [
        "6: cards[0].answer: Field required",
        "14: cards[1].topics[0]: topic 'no-such-topic' is not declared in deck.topics "
        "['chain-rule', 'gradients']",
        "17: cards[2].slug: duplicate card slug 'two'",
    ]


def test_a_missing_file_is_named_without_a_line_number(session: Session, tmp_path: Path) -> None:
    with pytest.raises(DeckLoadError) as raised:
        import_decks(session, [tmp_path / "gone.yaml"])
    assert [str(p) for p in raised.value.problems] == [
        f"{tmp_path / 'gone.yaml'}: (path): no such file or directory"
    ]


def test_a_failed_import_leaves_the_sqlite_file_byte_for_byte_unchanged(
    tmp_path: Path, broken_file: Callable[[bytes], Path]
) -> None:
    url = f"sqlite:///{tmp_path / 'bytes.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as db_session:
        import_decks(db_session, [GOOD])
    engine.dispose()
    digest = sqlite_file_digest(url)

    engine = make_engine(url)
    with pytest.raises(DeckLoadError), session_scope(make_sessionmaker(engine)) as db_session:
        import_decks(db_session, [GOOD, broken_file(deck(CARD.replace("easy", "trivial")))])
    engine.dispose()
    assert sqlite_file_digest(url) == digest
