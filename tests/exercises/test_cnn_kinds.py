"""The cnn deck's exercise kinds: the engine's solution equals the textbook formula, and the
draws show what they promise (ties in the max pool, a strided and dilated first layer)."""

from __future__ import annotations

import numpy as np
import pytest

from app.exercises import Exercise, generate
from tests.exercises.helpers import SEEDS, assert_solution, given

KINDS = [
    "conv_output_shape",
    "conv1d_gradients",
    "maxpool_routing",
    "receptive_field_size",
    "transposed_conv_1d",
]


def textbook(exercise: Exercise) -> dict[str, np.ndarray]:
    """Each kind's answer by its formula, from the given numbers alone."""
    g = lambda name: given(exercise, name)  # noqa: E731
    if exercise.kind == "conv_output_shape":
        h, out = int(g("H")), {}
        for i in (1, 2):
            k, s, p, d = (int(g(f"{key}{i}")) for key in "kspd")
            h = (h + 2 * p - d * (k - 1) - 1) // s + 1
            out[f"h{i}"] = np.asarray(float(h))
        return out
    if exercise.kind == "conv1d_gradients":
        x, w, up = g("x"), g("w"), g("g")
        dx = np.zeros(5)
        for i in range(3):
            dx[i : i + 3] += up[i] * w
        dw = np.array([sum(up[i] * x[i + a] for i in range(3)) for a in range(3)])
        return {"dw": dw, "dx": dx, "db": np.asarray(up.sum())}
    if exercise.kind == "maxpool_routing":
        x, up = g("X"), g("G")
        dx = np.zeros((4, 4))
        for i in range(2):
            for j in range(2):
                p, q = divmod(int(np.argmax(x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2])), 2)
                dx[2 * i + p, 2 * j + q] += up[i, j]
        return {"dX": dx}
    if exercise.kind == "receptive_field_size":
        r, jump, out = 1, 1, {}
        for i in (1, 2, 3):
            k, s, d = int(g(f"k{i}")), int(g(f"s{i}")), int(g(f"d{i}"))
            r += (k - 1) * d * jump
            jump *= s
            out[f"r{i}"] = np.asarray(float(r))
        return out
    if exercise.kind == "transposed_conv_1d":
        x, w = g("x"), g("w")
        y = np.zeros(7)
        for i in range(3):
            y[2 * i : 2 * i + 3] += x[i] * w
        return {"length": np.asarray(7.0), "y": y}
    raise AssertionError(exercise.kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_solution_equals_textbook_formula(kind: str, seed: int) -> None:
    exercise = generate(kind, seed)
    expected = textbook(exercise)
    assert_solution(exercise, expected, rtol=0, atol=1e-12)


def test_every_max_pool_draw_has_a_tied_window() -> None:
    for seed in range(50):
        x = given(generate("maxpool_routing", seed), "X")
        blocks = [x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2] for i in range(2) for j in range(2)]
        assert any((b == b.max()).sum() > 1 for b in blocks), seed


def test_the_first_layer_is_strided_padded_and_dilated() -> None:
    for seed in range(50):
        exercise = generate("conv_output_shape", seed)
        assert (
            given(exercise, "s1") == 2 and given(exercise, "p1") >= 1 and given(exercise, "d1") >= 2
        )
        assert "`nn.Conv2d`" in exercise.prompt
