"""The attention deck's exercise kinds: the engine's solution equals the textbook formula, and
the draws show what they promise (GQA with fewer K/V heads, heads dividing the width)."""

from __future__ import annotations

import numpy as np
import pytest

from app.exercises import Exercise, generate
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = ["causal_attention_weights", "mha_param_count", "kv_cache_bytes", "training_flops_6nd"]


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer by its formula, from the given numbers alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    if exercise.kind == "causal_attention_weights":
        a = np.tril(g("A"))
        return {"W": a / a.sum(axis=1, keepdims=True)}
    if exercise.kind == "mha_param_count":
        e = g("E")
        return {
            "mha": np.asarray((4 * e * e + 4 * e) / 1000),
            "block": np.asarray((12 * e * e + 13 * e) / 1000),
        }
    if exercise.kind == "kv_cache_bytes":
        per_token = 2 * g("layers") * g("kv") * g("d_head") * g("bytes")
        return {
            "per_token": np.asarray(per_token / 2**10),
            "total_mib": np.asarray(per_token * g("T") / 2**20),
        }
    if exercise.kind == "training_flops_6nd":
        n, d = g("N") * 1e6, g("D") * 1e9
        return {"train": np.asarray(6 * n * d / 1e18), "infer": np.asarray(2 * n / 1e9)}
    raise AssertionError(exercise.kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, rtol=1e-12, atol=1e-12)


def test_every_cache_draw_groups_its_query_heads() -> None:
    for seed in range(50):
        exercise = generate("kv_cache_bytes", seed)
        heads, kv = given(exercise, "heads"), given(exercise, "kv")
        assert kv < heads and heads % kv == 0


def test_heads_divide_the_width_and_the_future_is_masked() -> None:
    for seed in range(50):
        exercise = generate("mha_param_count", seed)
        assert given(exercise, "E") % given(exercise, "h") == 0
        w = generate("causal_attention_weights", seed).solution["W"]
        assert np.all(np.triu(w, k=1) == 0)
