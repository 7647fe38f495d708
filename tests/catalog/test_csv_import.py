"""import-csv: a CSV becomes a YAML deck and is loaded; bad rows named by line, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.catalog.csv_import import CsvImportError, deck_yaml, import_csv_deck, parse_deck_csv
from app.catalog.loader import import_decks
from app.catalog.registries import catalog_registries
from app.catalog.validate import read_deck_file
from app.config import Settings
from app.exports.decks import deck_csv, exported_deck
from tests.dbstate import table_rows

HEADER = "front,back,difficulty,topics\n"


def write(tmp_path: Path, text: str, name: str = "cards.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_import(session: Session, source: Path, target: Path, slug: str = "mine") -> Path:
    path, _ = import_csv_deck(
        session=session,
        path=source,
        slug=slug,
        title="Mine",
        target_dir=target,
        registries=catalog_registries(),
    )
    session.commit()
    return path


def card_tuples(session: Session, slug: str) -> list[tuple[str, str, str, frozenset[str]]]:
    deck = exported_deck(session=session, slug=slug)
    return [(c.front, c.back, c.difficulty, frozenset(c.topics)) for c in deck.cards]


def test_a_deck_exported_to_csv_and_imported_is_the_same_cards(
    session: Session, loaded: Settings, tmp_path: Path
) -> None:
    source = write(tmp_path, deck_csv(exported_deck(session=session, slug="backprop")))
    decks = tmp_path / "decks"
    decks.mkdir()
    path = run_import(session, source, decks, slug="backprop-copy")
    assert path == decks / "backprop-copy.yaml"
    assert not isinstance(read_deck_file(path), list)  # the file is a valid deck on its own
    original = card_tuples(session, "backprop")
    assert len(original) == 15
    assert card_tuples(session, "backprop-copy") == original
    copy = exported_deck(session=session, slug="backprop-copy")
    assert [card.slug for card in copy.cards][:2] == ["backprop-copy-1", "backprop-copy-2"]


def test_multi_line_cells_topics_and_a_byte_order_mark(
    session: Session, migrated: Settings, tmp_path: Path
) -> None:
    text = '\ufeffFront,Back,Difficulty,Topics\n"Two\nlines?","Yes:\n$$x$$",Hard,"a-b, c;d"\n'
    run_import(session, write(tmp_path, text), tmp_path)
    [card] = exported_deck(session=session, slug="mine").cards
    assert (card.front, card.back, card.difficulty) == ("Two\nlines?", "Yes:\n$$x$$", "hard")
    assert card.topics == ("a-b", "c", "d")


def test_bad_rows_are_reported_by_line_and_nothing_is_written(
    session: Session, migrated: Settings, tmp_path: Path
) -> None:
    text = (
        HEADER
        + "Fine?,Yes,easy,ok\n"
        + '"A question\nover two lines",answer,extreme,ok\n'  # line 3
        + "\n"
        + "No back,,medium,ok\n"  # line 6
        + "Bad topic,x,easy,Not_A_Slug\n"  # line 7
        + "Too,many,cells,here,!\n"  # line 8
    )
    source = write(tmp_path, text)
    before = table_rows(migrated.database_url)
    with pytest.raises(CsvImportError) as caught:
        run_import(session, source, tmp_path)
    assert [str(problem) for problem in caught.value.problems] == [
        f"{source}:8: (row): 5 cells, expected 4"
    ]
    source = write(tmp_path, text.replace("Too,many,cells,here,!\n", ""))
    with pytest.raises(CsvImportError) as caught:
        run_import(session, source, tmp_path)
    assert [str(problem) for problem in caught.value.problems] == [
        f"{source}:3: difficulty: Input should be 'easy', 'medium' or 'hard'",
        f"{source}:6: back: must not be empty",
        f"{source}:7: topics: 'not_a_slug' is not a slug: use lowercase letters, digits and "
        "hyphens",
    ]
    assert not (tmp_path / "mine.yaml").exists()
    session.rollback()
    assert table_rows(migrated.database_url) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "(header): the header must name the columns front, back, difficulty, topics"),
        ("front,back,topics\nq,a,t\n", "(header): the header must name the columns"),
        ("front,back,difficulty,topics,extra\n", "(header): the header must name the columns"),
        (HEADER, "(file): no cards: the CSV has only its header"),
        (HEADER + '"unclosed,a,easy,t\n', "(csv): unexpected end of data"),
    ],
)
def test_malformed_files_are_refused(
    session: Session, migrated: Settings, tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(CsvImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_import(session, write(tmp_path, text), tmp_path)
    assert not (tmp_path / "mine.yaml").exists()


def test_an_existing_deck_slug_or_file_is_refused(
    session: Session, loaded: Settings, tmp_path: Path
) -> None:
    source = write(tmp_path, HEADER + "q,a,easy,t\n")
    with pytest.raises(CsvImportError, match="a deck 'backprop' already exists"):
        run_import(session, source, tmp_path, slug="backprop")
    (tmp_path / "taken.yaml").write_text("hand-written\n")
    with pytest.raises(CsvImportError, match="already exists"):
        run_import(session, source, tmp_path, slug="taken")
    assert (tmp_path / "taken.yaml").read_text() == "hand-written\n"
    with pytest.raises(CsvImportError, match="not a slug"):
        parse_deck_csv(source, slug="Not A Slug", title="")


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes(HEADER.encode() + "café,x,easy,t\n".encode("latin-1"))
    with pytest.raises(CsvImportError, match=r"latin1.csv:2: \(file\): not UTF-8"):
        parse_deck_csv(source, slug="mine", title="")


def test_a_load_failure_removes_the_written_file(
    session: Session, migrated: Settings, tmp_path: Path
) -> None:
    # Card slugs are global: a hand-written deck already owns "other-1".
    owner = write(tmp_path, HEADER + "q,a,easy,t\n", "owner.csv")
    spec = parse_deck_csv(owner, slug="other", title="").model_copy(
        update={"deck": parse_deck_csv(owner, slug="owner", title="").deck}
    )
    (tmp_path / "owner.yaml").write_text(deck_yaml(spec), encoding="utf-8")
    import_decks(session, [tmp_path / "owner.yaml"], catalog_registries())
    session.commit()
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(CsvImportError, match="card slug 'other-1' already belongs to deck 'owner'"):
        run_import(session, write(tmp_path, HEADER + "q,a,easy,t\n"), target, slug="other")
    assert list(target.iterdir()) == []
