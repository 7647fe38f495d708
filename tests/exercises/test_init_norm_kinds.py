"""The init_norm deck's exercise kinds: the engine's solution equals the textbook formula,
the numbers are the ones a person can work by hand, and the prompts state the conventions."""

from __future__ import annotations

import numpy as np
import pytest

from app.exercises import Exercise, generate
from app.exercises import init_norm as kinds  # registers them
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = [
    "init_variance",
    "batchnorm_forward",
    "batchnorm_dx",
    "running_stats_update",
    "norm_statistics",
]


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer by its formula, from the given numbers alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    if exercise.kind == "init_variance":
        fi, fo = float(g("fan_in")), float(g("fan_out"))
        xavier = 2 / (fi + fo)
        return {
            "xavier_var": np.asarray(xavier),
            "he_var": np.asarray(2 / fi),
            "he_std": np.asarray(np.sqrt(2 / fi)),
            "forward_gain": np.asarray(fi * xavier),
            "backward_gain": np.asarray(fo * xavier),
        }
    if exercise.kind == "batchnorm_forward":
        x, gamma, beta = g("x"), float(g("gamma")), float(g("beta"))
        xhat = (x - x.mean()) / x.std()
        return {
            "mean": np.asarray(x.mean()),
            "var": np.asarray(x.var()),
            "xhat": xhat,
            "y": gamma * xhat + beta,
        }
    if exercise.kind == "batchnorm_dx":
        x, up, gamma = g("x"), g("g"), float(g("gamma"))
        xhat = (x - x.mean()) / x.std()
        dx = gamma / x.std() * (up - up.mean() - xhat * (up * xhat).mean())
        return {"dbeta": np.asarray(up.sum()), "dgamma": np.asarray((up * xhat).sum()), "dx": dx}
    if exercise.kind == "running_stats_update":
        x, m = g("x"), float(g("momentum"))
        rm, rv = float(g("running_mean")), float(g("running_var"))
        var = x.var(ddof=1)
        return {
            "batch_mean": np.asarray(x.mean()),
            "batch_var": np.asarray(var),
            "new_mean": np.asarray((1 - m) * rm + m * x.mean()),
            "new_var": np.asarray((1 - m) * rv + m * var),
        }
    if exercise.kind == "norm_statistics":
        x = g("X")
        return {
            "bn_mean": x.mean(axis=0),
            "ln_mean": x.mean(axis=1),
            "rms": np.sqrt((x * x).mean(axis=1)),
        }
    raise AssertionError(exercise.kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, rtol=1e-9, atol=1e-12)


def test_the_patterns_have_friendly_normalised_values() -> None:
    for pattern in kinds.PATTERNS:
        v = np.array(pattern, dtype=float)
        assert v.sum() == 0
        xhat = v / np.sqrt(np.mean(v * v))
        assert np.allclose(xhat * 400, np.round(xhat * 400))


def test_xavier_pairs_give_multiples_of_1_400() -> None:
    for fi, fo in kinds.FAN_PAIRS:
        assert (800 / (fi + fo)).is_integer() and fi != fo


def test_prompts_state_epsilon_and_the_convention() -> None:
    assert "\\epsilon = 0" in generate("batchnorm_forward", 0).prompt
    assert "PyTorch's convention" in generate("running_stats_update", 0).prompt


def test_running_stats_never_use_momentum_one_half() -> None:
    # At momentum 0.5 the swapped convention gives the same answer: the kind must not draw it.
    assert all(
        float(given(generate("running_stats_update", s), "momentum")) != 0.5 for s in range(50)
    )
