"""Test-taking strategies that need no knowledge, scored against a deck's multiple choice.

A quiz whose right answer is usually the longest or the most careful-sounding choice teaches
people to spot the writer's habits instead of the material. Each strategy scores a card as the
share of the choices it would pick that are correct (ties split the credit).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from app.catalog.schema import ChoiceSpec

HEDGES = (
    "about",
    "approximately",
    "can",
    "could",
    "depends",
    "generally",
    "in practice",
    "likely",
    "may",
    "might",
    "mostly",
    "often",
    "roughly",
    "some",
    "sometimes",
    "tends",
    "typically",
    "up to",
    "usually",
)
_HEDGE_RE = re.compile(r"\b(" + "|".join(re.escape(h) for h in HEDGES) + r")\b", re.IGNORECASE)

Feature = Callable[[ChoiceSpec], float]


def length(choice: ChoiceSpec) -> float:
    """Characters of the choice's text."""
    return float(len(choice.text))


def hedging(choice: ChoiceSpec) -> float:
    """How many hedging words the choice uses."""
    return float(len(_HEDGE_RE.findall(choice.text)))


def pick_the_most(feature: Feature, choices: Sequence[ChoiceSpec]) -> float:
    """Expected score of picking a choice with the highest feature (uniformly among ties)."""
    best = max(feature(choice) for choice in choices)
    picked = [choice for choice in choices if feature(choice) == best]
    return sum(choice.correct for choice in picked) / len(picked)


def chance(choices: Sequence[ChoiceSpec]) -> float:
    """Expected score of a uniform guess."""
    return 1 / len(choices)
