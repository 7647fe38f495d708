"""swiglu_gate: the product rule through the gate, and a shut gate blocks the value."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.engine import activations, arith, pointwise
from tests.demos.activations._helpers import fails, run


def test_a_shut_gate_blocks_the_value_branch() -> None:
    demo = run("swiglu_gate")
    assert demo.passed
    assert demo.check("a shut gate").measured < 1e-12


def test_silu_without_its_second_term_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        activations, "silu_vjp", lambda g, xs, out, ctx, need: (g * activations._sigmoid(xs[0]),)
    )
    assert fails(run("swiglu_gate"), "SwiGLU: engine's ∂L/∂W1", "analytic ∂L/∂W1 (gate)")


def test_skewed_mul_sigmoid_and_linear_rules_fail(skew: Callable[..., None]) -> None:
    skew(arith, "mul_vjp")
    assert fails(run("swiglu_gate"), "SwiGLU: engine's ∂L/∂W3", "GLU: engine's")


def test_a_skewed_sigmoid_fails_the_glu_check(skew: Callable[..., None]) -> None:
    skew(pointwise, "sigmoid_vjp")
    assert fails(run("swiglu_gate"), "GLU: engine's")
