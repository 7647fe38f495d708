"""Quiz validity: in every deck, no strategy that needs no knowledge beats chance by much."""

from __future__ import annotations

import pytest

from app.catalog.schema import ChoiceSpec
from app.catalog.validate import ParsedDeck
from tests.standard.decks import DECKS
from tests.standard.quiz_strategies import Feature, chance, hedging, length, pick_the_most

MARGIN = 0.15  # points above chance a knowledge-free strategy may score
MAX_LONGEST_CORRECT = 0.40  # share of cards whose correct choice is (one of) the longest


def _quizzed(deck: ParsedDeck) -> list[list[ChoiceSpec]]:
    return [card.choices for card in deck.spec.cards if card.choices]


@pytest.fixture(params=DECKS, ids=[deck.spec.deck.slug for deck in DECKS])
def deck(request: pytest.FixtureRequest) -> ParsedDeck:
    parsed: ParsedDeck = request.param
    return parsed


@pytest.mark.parametrize("strategy", [length, hedging], ids=["longest", "most-hedged"])
def test_no_strategy_without_knowledge_beats_chance(deck: ParsedDeck, strategy: Feature) -> None:
    quizzes = _quizzed(deck)
    assert quizzes, "a deck needs multiple choice"
    score = sum(pick_the_most(strategy, choices) for choices in quizzes) / len(quizzes)
    guess = sum(chance(choices) for choices in quizzes) / len(quizzes)
    assert score <= guess + MARGIN, f"{score:.0%} against chance {guess:.0%}"


def test_the_correct_choice_is_rarely_the_longest(deck: ParsedDeck) -> None:
    quizzes = _quizzed(deck)
    longest = [
        max(len(c.text) for c in choices) == len(next(c for c in choices if c.correct).text)
        for choices in quizzes
    ]
    assert sum(longest) / len(quizzes) <= MAX_LONGEST_CORRECT, f"{sum(longest)} of {len(quizzes)}"


def test_the_strategies_score_a_giveaway_quiz_high() -> None:
    """The strategies themselves can fail a deck: a quiz whose answer is long and hedged."""
    giveaway = [
        ChoiceSpec(
            text="It usually can be about right in practice, roughly", correct=True, why="x"
        ),
        ChoiceSpec(text="No", why="x"),
        ChoiceSpec(text="Never", why="x"),
    ]
    assert pick_the_most(length, giveaway) == 1.0
    assert pick_the_most(hedging, giveaway) == 1.0
    assert chance(giveaway) == pytest.approx(1 / 3)
