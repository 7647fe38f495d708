"""The one formatter prompts print numbers and polynomials with."""

from __future__ import annotations

import re

import pytest

from app.exercises import REGISTRY, generate
from app.exercises.text import number, poly, shifted


@pytest.mark.parametrize(
    ("terms", "text"),
    [
        ([(1, "x^2"), (0, "")], "x^2"),
        ([(-1, "x^2"), (1, "")], "-x^2 + 1"),
        ([(3, "x"), (-2, "")], "3x - 2"),
        ([(-3, "x"), (-2, "")], "-3x - 2"),
        ([(1, "x"), (-1, "x")], "x - x"),
        ([(0.5, "x^2"), (-1, "x"), (0, "")], "0.5x^2 - x"),
        ([(0, "x"), (0, "")], "0"),
        ([(0, "x"), (-3, "")], "-3"),
        ([(2.0, ""), (1.0, "")], "2 + 1"),
        ([(-1, "")], "-1"),
    ],
)
def test_poly(terms: list[tuple[float, str]], text: str) -> None:
    assert poly(terms) == text


@pytest.mark.parametrize(
    ("value", "text"), [(2.0, "2"), (-3.0, "-3"), (0.5, "0.5"), (-0.0, "0"), (0.125, "0.125")]
)
def test_number(value: float, text: str) -> None:
    assert number(value) == text


def test_shifted() -> None:
    assert (shifted("u", -1), shifted("u", 2), shifted("u", 0)) == ("u - 1", "u + 2", "u")


UGLY = [
    r"(?<![\d.])1x",  # 1x^2
    r"(?<![\d.])1u",
    r"\+ 0(?![.\d])",  # + 0
    r"- 0(?![.\d])",
    r"\+ -",  # + -3
    r"- -",  # - -3
    r"-0(?![.\d])",
    r"\d\.0(?!\d)",  # 2.0
]


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_no_prompt_prints_1x_plus_0_or_double_signs(kind: str) -> None:
    for seed in range(200):
        prompt = generate(kind, seed).prompt
        for pattern in UGLY:
            assert not re.search(pattern, prompt), (kind, seed, pattern, prompt)
