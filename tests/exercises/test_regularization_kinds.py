"""The regularization deck's exercise kinds: the engine's solution equals the textbook formula
from the givens alone."""

from __future__ import annotations

import numpy as np
import pytest

import app.exercises.regularization  # noqa: F401  (registers)
from app.exercises import Exercise, generate
from tests.exercises.deck_mistakes.regularization import REQUIRED
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = sorted(REQUIRED)


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer from its formula and the givens alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    if exercise.kind == "dropout_forward_backward":
        scale = g("m") / (1 - float(g("p")))
        return {"y": g("x") * scale, "dx": g("g") * scale}
    if exercise.kind == "l1_l2_shrinkage":
        a, lam = g("a"), float(g("lam"))
        return {"w_l1": np.sign(a) * np.maximum(np.abs(a) - lam, 0), "w_l2": a / (1 + lam)}
    if exercise.kind == "mixup_gradient":
        z, lam = g("Z"), float(g("lam"))
        eye = np.eye(3)
        y = lam * eye[g("yi").astype(int)] + (1 - lam) * eye[g("yj").astype(int)]
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return {"Y": y, "dZ": (p - y) / 2}
    if exercise.kind == "max_norm_projection":
        w, c = g("W"), float(g("c"))
        norms = np.linalg.norm(w, axis=1, keepdims=True)
        return {"W_new": w * np.minimum(1, c / norms)}
    raise AssertionError(f"no textbook formula for {exercise.kind}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, atol=1e-12)


def test_the_max_norm_draws_have_rows_on_both_sides_of_the_bound_somewhere() -> None:
    inside = outside = 0
    for seed in range(30):
        exercise = generate("max_norm_projection", seed)
        norms = np.linalg.norm(given(exercise, "W"), axis=1)
        inside += int(np.sum(norms <= float(given(exercise, "c"))))
        outside += int(np.sum(norms > float(given(exercise, "c"))))
    assert inside and outside
