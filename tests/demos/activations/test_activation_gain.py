"""activation_gain: E[relu²] = 1/2, torch's gains, and the exact 2^−ℓ of a gain-1 ReLU net."""

from __future__ import annotations

from collections.abc import Callable

from app.engine import arith, pointwise
from tests.demos.activations._helpers import fails, run


def test_moments_and_gains() -> None:
    demo = run("activation_gain")
    assert demo.passed
    assert demo.check("E[relu(z)²] = 1/2").measured < 1e-9
    assert "1/√E[tanh²] = 1.59" in str(demo.steps[1].value)


def test_skewed_rules_fail_the_backward_check(skew: Callable[..., None]) -> None:
    skew(pointwise, "relu_vjp")
    assert fails(run("activation_gain"), "He net: the engine's ∂L/∂x")


def test_a_skewed_linear_rule_fails(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    assert fails(run("activation_gain"), "He net: the engine's ∂L/∂x")
