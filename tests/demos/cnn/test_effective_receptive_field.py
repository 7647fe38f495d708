"""effective_receptive_field: the kernels' convolution, additive variances, failing checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.cnn import effective_receptive_field as module
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("effective_receptive_field")


def test_uniform_kernels_give_the_binomial_like_spread() -> None:
    ones = np.ones((3, 3))
    assert module.row_variance(ones) == pytest.approx(2 / 3)
    two = module.full_convolution(ones, ones)
    assert two[:, 0].tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]
    assert module.row_variance(two) == pytest.approx(4 / 3)


def test_the_width_grows_like_the_square_root_of_depth() -> None:
    sigmas = [
        float(
            values(DEMO.run_with({"seed": 0, "depth": d}))["spread σ of the ERF (pixels, one axis)"]
        )
        for d in (2, 8)
    ]
    assert sigmas[1] / sigmas[0] == pytest.approx(math.sqrt(4), rel=0.3)


def test_a_skewed_input_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "effective_receptive_field", "conv2d.vjp:input 0's gradient off by 1e-4"
    )
    assert fails(demo, "the engine's input gradient equals the full convolution")
