"""The activations deck's exercise kinds: the engine's solution equals the textbook formula."""

from __future__ import annotations

import numpy as np
import pytest

from app.exercises import Exercise, generate, grade
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = [
    "leaky_relu_backward",
    "softplus_slope",
    "collapsed_linear_map",
    "glu_backward",
    "relu_pieces",
]


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer from the given numbers alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    if exercise.kind == "leaky_relu_backward":
        slope = np.where(g("Z") > 0, 1.0, float(g("a")))
        return {"slope": slope, "dZ": g("G") * slope}
    if exercise.kind == "softplus_slope":
        slope = 1 / (1 + np.exp(-float(g("beta")) * g("x")))
        return {"slope": slope, "dx": g("g") * slope}
    if exercise.kind == "collapsed_linear_map":
        return {"W_eff": g("W2") @ g("W1"), "b_eff": g("W2") @ g("b1") + g("b2")}
    if exercise.kind == "glu_backward":
        s = g("s")
        return {"dv": g("g") * s, "da": g("g") * g("v") * s * (1 - s)}
    if exercise.kind == "relu_pieces":
        w, b, v = g("w"), g("b"), g("v")
        kinks = np.unique(-b / w)
        changes = [
            abs(sum(v[i] * abs(w[i]) for i in range(3) if -b[i] / w[i] == k)) > 0 for k in kinks
        ]
        return {
            "pieces": np.asarray(1.0 + sum(changes)),
            "slope_right": np.asarray(float(np.sum((w > 0) * w * v))),
            "slope_left": np.asarray(float(np.sum((w < 0) * w * v))),
        }
    raise AssertionError(exercise.kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, rtol=1e-12, atol=1e-12)
    assert grade(exercise, exercise.correct_answer()).passed


def test_leaky_relu_draws_include_exact_zeros_for_some_seed() -> None:
    assert any(np.any(given(generate("leaky_relu_backward", s), "Z") == 0) for s in range(20))


def test_relu_pieces_can_be_fewer_than_units_plus_one() -> None:
    counts = {float(generate("relu_pieces", s).solution["pieces"]) for s in range(200)}
    assert 4.0 in counts and min(counts) < 4.0
