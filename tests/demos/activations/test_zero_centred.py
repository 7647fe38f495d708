"""zero_centred: sigmoid inputs give single-signed per-example gradients, tanh inputs do not."""

from __future__ import annotations

from collections.abc import Callable

from app.engine import arith
from tests.demos.activations._helpers import fails, run


def test_sigmoid_inputs_are_single_signed_and_tanh_mixed() -> None:
    demo = run("zero_centred")
    assert demo.passed
    assert demo.check("sigmoid inputs").measured == 1.0
    assert demo.check("tanh inputs").measured < 0.5


def test_a_skewed_linear_rule_fails(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    assert fails(run("zero_centred"), "engine's per-example", "analytic ∂L/∂w")
