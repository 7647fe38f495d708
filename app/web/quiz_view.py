"""A quiz: multiple-choice cards in a seeded order with shuffled choices, numeric exercises mixed
in, and the grading of one answer. The seed makes a quiz reproducible (reload = same quiz)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from app.exercises import Exercise, get_exercise
from app.models import Card, Choice

MAX_CHOICE_QUESTIONS = 10
MAX_EXERCISES = 2
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class ChoiceQuestion:
    """A card asked as multiple choice; `order` lists the card's choice indices as shown."""

    card: Card
    order: list[int]

    @property
    def shown(self) -> list[Choice]:
        return [self.card.choices[index] for index in self.order]


@dataclass(frozen=True)
class ExerciseQuestion:
    """A generated numeric exercise, from a card that names one."""

    card: Card
    exercise: Exercise


Question = ChoiceQuestion | ExerciseQuestion


@dataclass(frozen=True)
class ChoiceResult:
    """The verdict on one pick: which shown choice was picked and which one was right."""

    question: ChoiceQuestion
    picked: int
    right: int

    @property
    def correct(self) -> bool:
        return self.picked == self.right


def choice_order(card: Card, seed: int) -> list[int]:
    """The card's choice indices shuffled; the same (card, seed) always gives the same order."""
    return shuffled_positions(len(card.choices), seed, card.slug)


def shuffled_positions(count: int, seed: int, slug: str) -> list[int]:
    """range(count) shuffled by (seed, slug): position i shows choice order[i]."""
    order = list(range(count))
    random.Random(f"{seed}:{slug}").shuffle(order)
    return order


def exercise_seed(seed: int, kind: str) -> int:
    """The exercise seed this quiz uses for `kind` (derived, so the quiz URL names it all)."""
    return random.Random(f"{seed}:{kind}").randrange(MAX_SEED)


def build_quiz(cards: Sequence[Card], seed: int) -> list[Question]:
    """Up to ten multiple-choice cards in a seeded order, with up to two exercises spread in."""
    rng = random.Random(seed)
    with_choices = [card for card in cards if len(card.choices) >= 2]
    rng.shuffle(with_choices)
    questions: list[Question] = [
        ChoiceQuestion(card, choice_order(card, seed))
        for card in with_choices[:MAX_CHOICE_QUESTIONS]
    ]
    kinds: dict[str, Card] = {}
    for card in cards:
        if card.exercise and card.exercise not in kinds:
            kinds[card.exercise] = card
    picked = sorted(kinds)
    rng.shuffle(picked)
    for number, kind in enumerate(picked[:MAX_EXERCISES], start=1):
        exercise = get_exercise(kind).generate(exercise_seed(seed, kind))
        # Spread out: after a third and after two thirds of the multiple-choice questions.
        at = min(len(questions), number * len(questions) // (MAX_EXERCISES + 1) + number - 1)
        questions.insert(at, ExerciseQuestion(kinds[kind], exercise))
    return questions


def grade_choice(card: Card, seed: int, picked: int) -> ChoiceResult:
    """Grade the pick of the `picked`-th shown choice; ValueError for a position not shown."""
    question = ChoiceQuestion(card, choice_order(card, seed))
    if not 0 <= picked < len(question.order):
        raise ValueError(f"pick must be from 0 to {len(question.order) - 1}")
    right = next(i for i, choice in enumerate(question.shown) if choice.correct)
    return ChoiceResult(question, picked, right)
