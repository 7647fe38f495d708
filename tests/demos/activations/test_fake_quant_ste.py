"""fake_quant_ste: ReLU6's fixed scale, the straight-through mask, hard-swish's slope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.engine import Tensor, activations, arith
from tests.demos.activations._helpers import fails, run


def test_eight_bit_relu6_scale() -> None:
    demo = run("fake_quant_ste", bits=8)
    assert demo.passed and "6/255" in demo.checks[0].claim


def test_hardtanh_without_a_mask_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(activations, "hardtanh_vjp", lambda g, xs, out, ctx, need: (g * 1.0,))
    assert fails(run("fake_quant_ste"), "straight-through gradient", "hard-swish")


def test_a_skewed_mul_rule_fails_hard_swish(skew: Callable[..., None]) -> None:
    skew(arith, "mul_vjp")
    assert fails(run("fake_quant_ste"), "hard-swish")


def test_the_quantiser_passes_its_closed_range_and_relu6_blocks_its_bounds() -> None:
    demo = run("fake_quant_ste")
    steps = {s.label: s.value for s in demo.steps}
    assert np.asarray(steps["quantiser alone: straight-through ∂/∂x"]).tolist() == [
        1,
        1,
        1,
        0,
        1,
        0,
        1,
    ]
    assert np.asarray(steps["ReLU6 then quantiser: straight-through ∂L/∂x"])[-2:].tolist() == [0, 0]
    assert demo.check("hard-swish stays within").measured > 0.142


def test_hardtanh_passing_at_its_bounds_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def inclusive(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
        x = np.asarray(xs[0].data if isinstance(xs[0], Tensor) else xs[0])
        return (g * ((x >= 0) & (x <= 6)),)

    monkeypatch.setattr(activations, "hardtanh_vjp", inclusive)
    assert fails(run("fake_quant_ste"), "straight-through gradient of ReLU6")


def test_a_mul_rule_that_drops_the_mask_fails_the_quantiser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(arith, "mul_vjp", lambda g, xs, out, ctx, need: (g, g))
    assert fails(run("fake_quant_ste"), "the fake quantiser alone")
