"""The sequence-models deck's exercise kinds: the engine's solution equals the textbook formula,
and the draws show what they promise (repeats and padding, a loss inside a later window)."""

from __future__ import annotations

import numpy as np
import pytest

from app.exercises import Exercise, generate
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = [
    "rnn_param_count",
    "bptt_scalar",
    "lstm_cell_gradient",
    "tbptt_reach",
    "embedding_grad_rows",
]


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer by its formula, from the given numbers alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    if exercise.kind == "rnn_param_count":
        i, h = float(g("I")), float(g("H"))
        block = h * i + h * h + 2 * h
        return {
            "rnn": np.asarray(block),
            "gru": np.asarray(3 * block),
            "lstm": np.asarray(4 * block),
        }
    if exercise.kind == "bptt_scalar":
        w, u, x = float(g("w")), float(g("u")), g("x")
        h1 = u * x[0]
        h2 = w * h1 + u * x[1]
        # L = h_3 = w² u x_1 + w u x_2 + u x_3 with h_1, h_2 as above.
        return {"dw": np.asarray(w * h1 + h2), "du": np.asarray(w**2 * x[0] + w * x[1] + x[2])}
    if exercise.kind == "lstm_cell_gradient":
        c, f, i_gate, gate, d = g("c"), g("f"), g("i"), g("g"), g("d")
        return {"c_next": f * c + i_gate * gate, "dc": d * f, "df": d * c, "di": d * gate}
    if exercise.kind == "tbptt_reach":
        t, k = int(g("t")), int(g("k"))
        first = (t // k) * k
        return {"first": np.asarray(float(first)), "count": np.asarray(float(t - first + 1))}
    if exercise.kind == "embedding_grad_rows":
        ids, up = g("ids").astype(int), g("G")
        out = np.zeros((5, 2))
        for p, row in enumerate(ids):
            if row != 0:
                out[row] += up[p]
        return {"dE": out}
    raise AssertionError(exercise.kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, rtol=0, atol=1e-12)


def test_every_embedding_draw_repeats_a_token_and_pads() -> None:
    for seed in range(50):
        ids = given(generate("embedding_grad_rows", seed), "ids").astype(int)
        counts = np.bincount(ids, minlength=5)
        assert counts[0] >= 1 and counts[1:].max() >= 3, seed


def test_every_tbptt_loss_sits_past_the_first_window() -> None:
    for seed in range(50):
        exercise = generate("tbptt_reach", seed)
        assert given(exercise, "t") >= given(exercise, "k"), seed
        assert "detach" in exercise.prompt
