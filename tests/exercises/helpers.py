"""Small helpers shared by the exercise tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.exercises import REGISTRY, Exercise

KINDS = sorted(REGISTRY)
SEEDS = [0, 1, 2, 3, 7, 42, 2**31 - 1]


def given(exercise: Exercise, name: str) -> np.ndarray:
    """The value of the given called `name`."""
    for item in exercise.given:
        if item.name == name:
            return np.asarray(item.value, dtype=np.float64)
    raise KeyError(name)


def assert_solution(
    exercise: Exercise, expected: dict[str, Any], rtol: float = 1e-7, atol: float = 0.0
) -> None:
    """The engine's solution has exactly the expected fields, each equal within rtol and atol
    (numpy.testing.assert_allclose's, defaults included)."""
    assert set(expected) == set(exercise.solution)
    for name, value in expected.items():
        np.testing.assert_allclose(exercise.solution[name], value, rtol=rtol, atol=atol)
