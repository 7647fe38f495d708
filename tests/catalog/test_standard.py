"""The deck standard the loader enforces on bundled decks (content/): every card names a demo
whose engine rules are declared, and lists 2-5 key points. A user's own decks (extra content,
CSV import) are not held to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.csv_import import CsvImportError, import_csv_deck
from app.catalog.loader import DeckLoadError, deck_files, import_decks, validate_decks
from app.catalog.registries import catalog_registries
from app.catalog.validate import Registries
from app.demos import demo_names
from app.exercises import exercise_kinds
from app.models import Card
from tests.conftest import CONTENT_DIR

GOOD = Path(__file__).parent / "decks" / "good.yaml"
KEY_POINTS = ["The chain rule multiplies local derivatives.", "Evaluate f' at g(x), not at x."]


def write_deck(directory: Path, edit: object = None) -> Path:
    """good.yaml with every card given a demo and key points, then `edit` applied."""
    data = yaml.safe_load(GOOD.read_text())
    for card in data["cards"]:
        card.setdefault("demo", {"name": "chain_rule"})
        card["key_points"] = list(KEY_POINTS)
    if callable(edit):
        edit(data)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "mini.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems(path: Path, registries: Registries) -> list[str]:
    with pytest.raises(DeckLoadError) as raised:
        validate_decks([path], registries)
    return [str(problem) for problem in raised.value.problems]


def test_the_bundled_decks_meet_the_standard() -> None:
    decks = validate_decks(deck_files(CONTENT_DIR), catalog_registries(CONTENT_DIR))
    assert decks, "content/ holds no deck"
    for deck in decks:
        for card in deck.spec.cards:
            assert card.demo is not None and 2 <= len(card.key_points) <= 5, card.slug


def test_a_deck_that_meets_the_standard_loads(tmp_path: Path) -> None:
    bundled = tmp_path / "content"
    [deck] = validate_decks([write_deck(bundled)], catalog_registries(bundled))
    assert [card.key_points for card in deck.spec.cards] == [KEY_POINTS] * 3


def test_a_bundled_card_without_key_points_is_refused(tmp_path: Path) -> None:
    bundled = tmp_path / "content"
    path = write_deck(bundled, lambda data: data["cards"][1].pop("key_points"))
    found = problems(path, catalog_registries(bundled))
    assert len(found) == 1
    assert "cards[1]" in found[0] and "lists 2-5 key points" in found[0]


def test_a_bundled_card_without_a_demo_is_refused(tmp_path: Path) -> None:
    bundled = tmp_path / "content"
    path = write_deck(bundled, lambda data: data["cards"][2].pop("demo"))
    [found] = problems(path, catalog_registries(bundled))
    assert "cards[2]" in found and "names a demo" in found


def test_a_demo_that_names_no_engine_rules_is_refused(tmp_path: Path) -> None:
    bundled = tmp_path / "content"
    path = write_deck(bundled)
    registries = Registries(
        demos=demo_names(),
        exercises=frozenset(exercise_kinds()),
        standard_dir=bundled,
        demo_rules={name: () for name in demo_names()},
    )
    found = problems(path, registries)
    assert len(found) == 3
    assert all("names no engine rules" in problem for problem in found)


def test_one_key_point_or_six_is_refused_anywhere(tmp_path: Path) -> None:
    for count in (1, 6):
        path = write_deck(
            tmp_path / str(count),
            lambda data, n=count: data["cards"][0].update(
                key_points=[f"point {i}" for i in range(n)]
            ),
        )
        [found] = problems(path, catalog_registries())
        assert "cards[0].key_points" in found


def test_an_overlong_key_point_is_refused(tmp_path: Path) -> None:
    path = write_deck(tmp_path, lambda data: data["cards"][0].update(key_points=["x" * 201, "y"]))
    [found] = problems(path, catalog_registries())
    assert "cards[0].key_points[0]" in found and "200" in found


def test_decks_outside_the_bundled_directory_need_not_meet_it(tmp_path: Path) -> None:
    """A user's own deck may be plain flashcards: no demo, no key points."""
    [deck] = validate_decks([GOOD], catalog_registries(tmp_path / "content"))
    assert deck.spec.cards[2].demo is None and deck.spec.cards[2].key_points == []


def test_key_points_are_stored_with_the_card(session: Session, tmp_path: Path) -> None:
    bundled = tmp_path / "content"
    import_decks(session, [write_deck(bundled)], catalog_registries(bundled))
    session.commit()
    card = session.scalar(select(Card).where(Card.slug == "chain"))
    assert card is not None and card.key_points == KEY_POINTS


def test_a_csv_deck_is_not_written_into_the_bundled_directory(
    session: Session, tmp_path: Path
) -> None:
    """It could never meet the standard, so the next load would refuse it: say so up front."""
    bundled = tmp_path / "content"
    bundled.mkdir()
    source = tmp_path / "cards.csv"
    source.write_text("front,back,difficulty,topics\nMine?,Yes,easy,own\n", encoding="utf-8")
    with pytest.raises(CsvImportError) as raised:
        import_csv_deck(
            session=session,
            path=source,
            slug="mine",
            title="Mine",
            target_dir=bundled,
            registries=catalog_registries(bundled),
        )
    [problem] = raised.value.problems
    assert "GRADCARDS_EXTRA_CONTENT_DIR" in str(problem)
    assert list(bundled.iterdir()) == []
