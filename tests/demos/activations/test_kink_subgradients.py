"""kink_subgradients: PyTorch's picks at the kinks, each a true subgradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.engine import Tensor, activations, pointwise
from tests.demos.activations._helpers import fails, run


def test_the_picks_are_torchs() -> None:
    demo = run("kink_subgradients", slope=0.2)
    assert demo.passed
    assert "relu at 0: engine 0" in str(demo.steps[0].value)
    assert "leaky_relu at 0: engine 0.2" in str(demo.steps[0].value)


def test_relu_with_slope_one_at_zero_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "RELU_GRAD_AT_ZERO", 1.0)
    assert fails(run("kink_subgradients"), "PyTorch's picks")


def test_hardtanh_passing_at_its_bounds_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(activations, "hardtanh_vjp", lambda g, xs, out, ctx, need: (g * 1.0,))
    assert fails(run("kink_subgradients"), "PyTorch's picks", "away from the kinks")


def test_a_skewed_leaky_rule_fails(skew: Callable[..., None]) -> None:
    skew(activations, "leaky_relu_vjp")
    assert fails(run("kink_subgradients"), "away from the kinks")


def test_clamp_abs_and_maximum_rows_are_checked() -> None:
    demo = run("kink_subgradients")
    rows = str(demo.steps[0].value)
    assert "clamp(−1, 1) at +1: engine 1" in rows and "abs at 0: engine 0" in rows
    assert "maximum(a, b) at a = b: engine 0.5 to a, 0.5 to b" in rows
    assert "Clarke generalised gradient" in demo.check("each pick lies").claim


def test_abs_without_its_sign_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "abs_vjp", lambda g, xs, out, ctx, need: (g * 1.0,))
    assert fails(run("kink_subgradients"), "PyTorch's picks", "away from the kinks")


def test_clamp_dropping_its_bounds_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def at_bounds_zero(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
        x = np.asarray(xs[0].data if isinstance(xs[0], Tensor) else xs[0])
        return (g * (ctx * (np.abs(x) != 1.0)),)

    monkeypatch.setattr(pointwise, "clamp_vjp", at_bounds_zero)
    assert fails(run("kink_subgradients"), "PyTorch's picks")


def test_maximum_sending_a_tie_to_one_input_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "maximum_vjp", lambda g, xs, out, ctx, need: (g * 1.0, g * 0.0))
    assert fails(run("kink_subgradients"), "maximum(a, b) at a tie")
