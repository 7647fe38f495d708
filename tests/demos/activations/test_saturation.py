"""saturation: the tails decay exponentially, and the checks catch a wrong rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.demos.activations.saturation import exact_sigmoid_slope, exact_tanh_slope
from app.engine import pointwise
from tests.demos.activations._helpers import fails, run


def test_known_tail_values() -> None:
    assert exact_sigmoid_slope(np.array(10.0)) == np.float64(np.exp(-10) / (1 + np.exp(-10)) ** 2)
    assert abs(float(exact_sigmoid_slope(np.array(10.0))) - 4.5396e-5) < 1e-8
    assert abs(float(exact_tanh_slope(np.array(0.0))) - 1.0) < 1e-15
    assert run("saturation").passed


def test_skewed_rules_fail_the_formula_checks(skew: Callable[..., None]) -> None:
    skew(pointwise, "sigmoid_vjp")
    assert fails(run("saturation"), "engine's σ′(z) equals")


def test_a_tanh_rule_of_one_minus_t_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "tanh_vjp", lambda g, xs, out, ctx, need: (g * (1 - out),))
    assert fails(run("saturation"), "engine's tanh′(z) equals")


def test_an_error_only_in_the_tails_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """1e-8 added to σ′ is 4e-8 of the largest slope but over 1e-6 of a saturated one."""
    original = pointwise.sigmoid_vjp

    def tail_error(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
        return (original(g, xs, out, ctx, need)[0] + 1e-8 * g,)

    monkeypatch.setattr(pointwise, "sigmoid_vjp", tail_error)
    assert fails(run("saturation"), "engine's σ′(z) equals")
