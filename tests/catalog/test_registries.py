"""The bundled deck names only demos and exercises that exist, and uses every one of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.catalog.loader import DeckLoadError, deck_files, validate_decks
from app.catalog.registries import catalog_registries
from app.demos import demo_names
from app.exercises import exercise_kinds
from tests.conftest import CONTENT_DIR


def test_the_bundled_decks_pass_validation_against_the_real_registries() -> None:
    decks = validate_decks(deck_files(CONTENT_DIR), catalog_registries())
    cards = [card for deck in decks for card in deck.spec.cards]
    assert all(card.demo is not None for card in cards)
    used_demos = {card.demo.name for card in cards if card.demo}
    used_exercises = {card.exercise for card in cards if card.exercise}
    # Every demo belongs to a card, but the backprop deck's closing exercise, which its advice
    # names; every exercise kind belongs to a card.
    assert demo_names() - used_demos == {"two_layer_by_hand"}
    advice = {deck.spec.deck.slug: deck.spec.deck.advice_demo for deck in decks}
    assert advice["backprop"] == "two_layer_by_hand"
    assert set(advice.values()) <= demo_names()
    assert used_exercises == exercise_kinds()


def test_a_card_naming_a_missing_demo_is_refused(tmp_path: Path) -> None:
    deck = tmp_path / "deck.yaml"
    deck.write_text(
        (CONTENT_DIR / "backprop.yaml").read_text().replace("{name: relu_backward}", "{name: relu}")
    )
    with pytest.raises(DeckLoadError, match=r"cards\[5\]\.demo\.name: unknown demo 'relu'"):
        validate_decks([deck], catalog_registries())


def test_an_advice_naming_a_missing_demo_is_refused(tmp_path: Path) -> None:
    deck = tmp_path / "deck.yaml"
    deck.write_text(
        (CONTENT_DIR / "backprop.yaml")
        .read_text()
        .replace("advice_demo: two_layer_by_hand", "advice_demo: by_hand")
    )
    with pytest.raises(DeckLoadError, match=r"deck\.advice_demo: unknown demo 'by_hand'"):
        validate_decks([deck], catalog_registries())
