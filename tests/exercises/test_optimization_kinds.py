"""The optimization deck's exercise kinds: the engine's solution equals the textbook formula and
every listed mistake is graded wrong."""

from __future__ import annotations

import numpy as np
import pytest

import app.exercises.optimization  # noqa: F401  (registers)
from app.exercises import REGISTRY, Exercise, generate, grade
from tests.exercises.deck_mistakes.optimization import REQUIRED
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = sorted(REQUIRED)


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer from PyTorch's documented rule and the givens alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    if exercise.kind == "momentum_two_steps":
        a, th, lr, mu = g("a"), g("theta0"), float(g("lr")), float(g("mu"))
        b1 = a * th
        th1 = th - lr * b1
        b2 = mu * b1 + a * th1
        return {"b1": b1, "theta1": th1, "b2": b2, "theta2": th1 - lr * b2}
    if exercise.kind == "adam_decay_first_step":
        th, grad, lr, lam = g("theta"), g("g"), float(g("lr")), float(g("lam"))
        return {
            "theta_adam": th - lr * np.sign(grad + lam * th),
            "theta_adamw": (1 - lr * lam) * th - lr * np.sign(grad),
        }
    if exercise.kind == "lr_stability_limit":
        eigs = np.linalg.eigvalsh(g("A"))[::-1]
        return {
            "lambda_max": np.asarray(eigs[0]),
            "lr_max": np.asarray(2 / eigs[0]),
            "factors": 1 - float(g("lr")) * eigs,
        }
    if exercise.kind == "clip_grad_norm_by_hand":
        g1, g2, c = g("g1"), g("g2"), float(g("max_norm"))
        total = float(np.sqrt(np.sum(g1**2) + np.sum(g2**2)))
        scale = min(1.0, c / total)
        return {"total_norm": np.asarray(total), "g1_clipped": g1 * scale, "g2_clipped": g2 * scale}
    raise AssertionError(f"no textbook formula for {exercise.kind}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    # ε = 1e-8 (Adam) and the 1e-6 of clip_grad_norm_ move answers by far less than this.
    assert_solution(exercise, expected, rtol=1e-6, atol=1e-6)
    assert grade(exercise, exercise.correct_answer()).passed


@pytest.mark.parametrize("kind", KINDS)
def test_every_mistake_is_graded_wrong_and_seeds_differ(kind: str) -> None:
    answers = set()
    for seed in range(40):
        exercise = generate(kind, seed)
        answers.add(repr(exercise.correct_answer()))
        for mistake in REGISTRY[kind].mistakes:
            wrong = exercise.mistaken_answer(mistake)
            if wrong is not None:
                assert not grade(exercise, wrong).passed, (kind, seed, mistake.name)
    assert len(answers) > 10
