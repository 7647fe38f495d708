"""Loading decks: create, no-op when unchanged, update in place, retire, never lose history."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalog.loader import DeckLoadError, deck_files, import_decks
from app.catalog.validate import Registries
from app.models import Card, Choice, Deck
from tests.conftest import CONTENT_DIR

GOOD = Path(__file__).parent / "decks" / "good.yaml"


def load(session: Session, *paths: Path, registries: Registries | None = None) -> list[str]:
    results = import_decks(session, list(paths), registries)
    session.commit()
    return [str(result) for result in results]


def refused(session: Session, *paths: Path, registries: Registries | None = None) -> list[str]:
    """The problems an import reports (it must fail); the transaction is rolled back."""
    with pytest.raises(DeckLoadError) as raised:
        import_decks(session, list(paths), registries)
    session.rollback()
    return [str(problem) for problem in raised.value.problems]


def card(session: Session, slug: str) -> Card:
    found = session.scalar(select(Card).where(Card.slug == slug))
    assert found is not None
    return found


def test_a_good_deck_is_created(session: Session) -> None:
    assert load(session, GOOD) == [f"mini: created, 3 added, 0 updated, 0 retired ({GOOD})"]
    deck = session.scalar(select(Deck).where(Deck.slug == "mini"))
    assert deck is not None
    assert [topic.slug for topic in deck.topics] == ["chain-rule", "gradients"]
    assert deck.checklist == ["Say the chain rule."]
    chain = card(session, "chain")
    assert chain.difficulty == "easy"
    assert chain.demo_name == "chain_rule"
    assert chain.demo_params == {"x": 0.5}
    assert [(c.position, c.correct) for c in chain.choices] == [(0, True), (1, False)]
    assert card(session, "linear").exercise == "linear_backward"
    assert {t.slug for t in card(session, "checkpoint").topics} == {"gradients", "chain-rule"}


def test_loading_unchanged_content_reports_unchanged_and_writes_nothing(session: Session) -> None:
    load(session, GOOD)
    before = card(session, "chain").updated_at
    assert load(session, GOOD) == [f"mini: unchanged ({GOOD})"]
    assert card(session, "chain").updated_at == before


def test_formatting_only_edits_are_unchanged(session: Session, tmp_path: Path) -> None:
    load(session, GOOD)
    reformatted = tmp_path / "good.yaml"
    reformatted.write_text("# a comment\n" + GOOD.read_text().replace(": [", ":   ["))
    load(session, reformatted)  # the source path changed: recorded once
    assert load(session, reformatted) == [f"mini: unchanged ({reformatted})"]


def test_an_edited_card_is_updated_in_place(session: Session, tmp_path: Path) -> None:
    load(session, GOOD)
    original_id = card(session, "chain").id
    edited = tmp_path / "good.yaml"
    edited.write_text(
        GOOD.read_text()
        .replace("State the chain rule.", "State the chain rule, please.")
        .replace("Multiply local derivatives", "Multiply the local derivatives")
    )
    assert load(session, edited) == [f"mini: updated, 0 added, 1 updated, 0 retired ({edited})"]
    chain = card(session, "chain")
    assert chain.id == original_id
    assert chain.question == "State the chain rule, please."
    assert chain.choices[0].text == "Multiply the local derivatives"
    assert session.scalar(select(func.count()).select_from(Choice)) == 2


def test_a_card_missing_from_its_file_is_retired_not_deleted(
    session: Session, tmp_path: Path
) -> None:
    load(session, GOOD)
    text = GOOD.read_text()
    without = tmp_path / "good.yaml"
    without.write_text(text[: text.index("  - slug: checkpoint")])
    assert load(session, without) == [f"mini: updated, 0 added, 0 updated, 1 retired ({without})"]
    retired = card(session, "checkpoint")
    assert retired.retired_at is not None
    assert session.scalar(select(func.count()).select_from(Card)) == 3

    without.write_text(text)  # the card comes back: same row, active again
    assert load(session, without) == [f"mini: updated, 0 added, 1 updated, 0 retired ({without})"]
    assert card(session, "checkpoint").id == retired.id
    assert card(session, "checkpoint").retired_at is None


def test_a_removed_topic_is_dropped_from_the_deck_and_its_cards(
    session: Session, tmp_path: Path
) -> None:
    load(session, GOOD)
    edited = tmp_path / "good.yaml"
    edited.write_text(
        GOOD.read_text()
        .replace("topics: [chain-rule, gradients]\n  checklist", "topics: [gradients]\n  checklist")
        .replace("topics: [chain-rule]\n", "topics: [gradients]\n")
        .replace("topics: [gradients, chain-rule]", "topics: [gradients]")
    )
    load(session, edited)
    deck = session.scalar(select(Deck).where(Deck.slug == "mini"))
    assert deck is not None
    assert [topic.slug for topic in deck.topics] == ["gradients"]
    assert [t.slug for t in card(session, "checkpoint").topics] == ["gradients"]


def test_a_card_slug_owned_by_another_deck_is_refused(session: Session, tmp_path: Path) -> None:
    load(session, GOOD)
    other = tmp_path / "other.yaml"
    other.write_text(GOOD.read_text().replace("slug: mini", "slug: other"))
    messages = refused(session, other)
    assert (
        f"{other}:10: cards[0].slug: card slug 'chain' already belongs to deck 'mini'" in messages
    )
    assert len(messages) == 3


def test_two_files_with_one_deck_slug_are_refused(session: Session, tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text(GOOD.read_text())
    problems = refused(session, GOOD, copy)
    assert problems[0] == f"{copy}:2: deck.slug: deck slug 'mini' is also used by {GOOD}"
    assert session.scalar(select(func.count()).select_from(Deck)) == 0


def test_unknown_demo_and_exercise_names_are_refused_once_registries_exist(
    session: Session,
) -> None:
    registries = Registries(demos=frozenset({"mlp_gradient"}), exercises=frozenset({"sgd_step"}))
    assert refused(session, GOOD, registries=registries) == [
        f"{GOOD}:18: cards[0].demo.name: unknown demo 'chain_rule'; known: mlp_gradient",
        f"{GOOD}:28: cards[1].exercise: unknown exercise 'linear_backward'; known: sgd_step",
    ]
    ok = Registries(demos=frozenset({"chain_rule"}), exercises=frozenset({"linear_backward"}))
    assert load(session, GOOD, registries=ok)[0].startswith("mini: created")


def test_every_bundled_deck_loads_with_fifteen_cards(session: Session) -> None:
    results = load(session, *deck_files(CONTENT_DIR))
    assert len(results) == len(deck_files(CONTENT_DIR)) >= 2
    assert all(", 15 added, 0 updated, 0 retired" in result for result in results), results
    for deck in session.scalars(select(Deck)):
        cards = list(
            session.scalars(select(Card).where(Card.deck_id == deck.id).order_by(Card.number))
        )
        assert [c.number for c in cards] == list(range(1, 16)), deck.slug
        assert all(c.demo_name for c in cards)
        assert all(3 <= len(c.choices) <= 5 for c in cards)
        levels = [c.difficulty for c in cards]
        # About 5 easy, 7 medium and 3 hard, as the deck standard asks.
        assert 4 <= levels.count("easy") <= 6 and 2 <= levels.count("hard") <= 3, deck.slug
    backprop = list(
        session.scalars(
            select(Card).join(Deck).where(Deck.slug == "backprop").order_by(Card.number)
        )
    )
    assert [c.number for c in backprop if c.difficulty == "hard"] == [7, 9]
    found = session.scalar(select(Deck).where(Deck.slug == "backprop"))
    assert found is not None
    assert [t.slug for t in found.topics] == [
        "chain-rule",
        "reverse-mode",
        "activations",
        "gradients",
    ]
    assert found.checklist and found.advice


def test_a_directory_yields_its_yaml_files_in_order(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "notes.txt"):
        (tmp_path / name).write_text("x")
    assert deck_files(tmp_path) == [tmp_path / "a.yml", tmp_path / "b.yaml"]
    with pytest.raises(DeckLoadError, match="no such file or directory"):
        deck_files(tmp_path / "missing")
