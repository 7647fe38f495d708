"""The losses deck's exercise kinds: the engine's solution equals the textbook formula, the
numbers are friendly, and every listed mistake is graded wrong on every seed."""

from __future__ import annotations

import numpy as np
import pytest

import app.exercises.losses  # noqa: F401  (registers)
from app.exercises import REGISTRY, Exercise, generate, grade
from tests.exercises.deck_mistakes.losses import REQUIRED
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = sorted(REQUIRED)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer from its formula and the givens alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    kind = exercise.kind
    if kind == "multilabel_bce_gradient":
        z, y = g("Z"), g("Y")
        p = 1 / (1 + np.exp(-z))
        return {"P": p, "dZ": (p - y) / y.size}
    if kind == "smoothed_ce_gradient":
        z, y, eps = g("Z"), g("y").astype(int), float(g("epsilon"))
        q = (1 - eps) * np.eye(z.shape[1])[y] + eps / z.shape[1]
        return {"Q": q, "dZ": (softmax(z) - q) / len(y)}
    if kind == "huber_gradient":
        r, delta = g("yhat") - g("y"), float(g("delta"))
        return {"dyhat": np.clip(r, -delta, delta) / r.size}
    if kind == "weighted_ce_gradient":
        z, y, w = g("Z"), g("y").astype(int), g("w")
        row = w[y]
        return {"dZ": row[:, None] * (softmax(z) - np.eye(z.shape[1])[y]) / row.sum()}
    if kind == "padded_ce_gradient":
        z, y = g("Z"), g("y").astype(int)
        real = y != -100
        onehot = np.eye(z.shape[1])[np.where(real, y, 0)]
        return {"dZ": (softmax(z) - onehot) * real[:, None] / real.sum()}
    raise AssertionError(f"no textbook formula for {kind}")


def test_every_kind_is_registered_with_its_required_mistakes() -> None:
    for kind, names in REQUIRED.items():
        assert names <= {m.name for m in REGISTRY[kind].mistakes}, kind


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, rtol=1e-12, atol=1e-12)
    assert grade(exercise, exercise.correct_answer()).passed


@pytest.mark.parametrize("kind", KINDS)
def test_numbers_are_friendly_and_seeds_differ(kind: str) -> None:
    answers = set()
    for seed in range(40):
        exercise = generate(kind, seed)
        answers.add(repr(exercise.correct_answer()))
        for value in exercise.solution.values():
            scaled = np.asarray(value) * 400
            assert np.allclose(scaled, np.round(scaled), atol=1e-6), (kind, seed, value)
            assert np.all(np.abs(value) <= 100)
    assert len(answers) > 3


@pytest.mark.parametrize("kind", KINDS)
def test_every_mistake_is_graded_wrong(kind: str) -> None:
    spec = REGISTRY[kind]
    made = dict.fromkeys((m.name for m in spec.mistakes), 0)
    for seed in range(500):
        exercise = generate(kind, seed)
        for mistake in spec.mistakes:
            answer = exercise.mistaken_answer(mistake)
            if answer is None:
                continue
            made[mistake.name] += 1
            result = grade(exercise, answer)
            assert not result.passed, (kind, seed, mistake.name)
            for name in mistake.answer(exercise.inputs()):
                assert not result.field(name).correct, (kind, seed, mistake.name, name)
    assert all(made.values()), made


def test_pytorch_smoothing_spreads_over_all_classes() -> None:
    """With ε = 0.2 and K = 4 the target class gets 0.85 and every other class 0.05."""
    for seed in range(30):
        exercise = generate("smoothed_ce_gradient", seed)
        if float(given(exercise, "epsilon")) == 0.2:
            q = exercise.solution["Q"]
            assert sorted(set(np.round(q.reshape(-1), 12))) == [0.05, 0.85]
            return
    raise AssertionError("no seed drew ε = 0.2")
