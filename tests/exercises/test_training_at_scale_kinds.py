"""The training-at-scale deck's exercise kinds: the engine's solution equals the textbook
formula, computed here from the given numbers alone."""

from __future__ import annotations

import numpy as np
import pytest

from app.exercises import Exercise, generate
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = [
    "zero_memory_per_device",
    "grad_scaler_schedule",
    "token_weighted_loss",
    "mfu_from_throughput",
]


def textbook(exercise: Exercise) -> dict[str, float]:
    """Each kind's answer by its formula."""
    g = lambda name: given(exercise, name)  # noqa: E731
    if exercise.kind == "zero_memory_per_device":
        psi, n = float(g("psi")), float(g("N"))
        return {
            "dp": 16 * psi,
            "zero1": 4 * psi + 12 * psi / n,
            "zero2": 2 * psi + 14 * psi / n,
            "zero3": 16 * psi / n,
        }
    if exercise.kind == "grad_scaler_schedule":
        scale, clean, skipped = 2.0 ** float(g("k")), 0, 0
        for flag in g("flags"):
            if flag:
                scale, clean, skipped = scale * 0.5, 0, skipped + 1
            else:
                clean += 1
                if clean == int(g("G")):
                    scale, clean = scale * 2.0, 0
        return {"log2_scale": float(np.log2(scale)), "skipped": float(skipped)}
    if exercise.kind == "token_weighted_loss":
        t, ell = g("T"), g("l")
        return {"full": float(t @ ell / t.sum()), "weight": float(t.sum() / (4 * t.min()))}
    if exercise.kind == "mfu_from_throughput":
        n, tps, peak = float(g("N")) * 1e9, float(g("tps")), float(g("peak")) * 1e12
        return {"mfu": 6 * n * tps / peak, "hfu": 8 * n * tps / peak}
    raise AssertionError(exercise.kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, rtol=1e-12, atol=1e-12)


def test_every_scaler_draw_overflows_at_least_once() -> None:
    for seed in range(50):
        assert given(generate("grad_scaler_schedule", seed), "flags").sum() >= 1, seed


def test_token_counts_differ_so_the_naive_recipe_is_wrong() -> None:
    for seed in range(50):
        counts = given(generate("token_weighted_loss", seed), "T")
        assert len(set(counts.tolist())) == 4 and counts.sum() == 20, seed
