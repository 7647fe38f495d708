"""linear_collapse: one affine map without activations; ReLU makes the Jacobian input-dependent."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.engine import arith, pointwise
from tests.demos.activations._helpers import fails, run


@pytest.mark.parametrize("seed", [0, 3, 2**31 - 1])
def test_it_passes_and_the_relu_jacobians_differ(seed: int) -> None:
    demo = run("linear_collapse", seed=seed, width=2, depth=6)
    assert demo.passed and demo.check("with ReLU: the Jacobians").measured > 1e-2


def test_a_skewed_linear_rule_fails(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    assert fails(run("linear_collapse"), "no activation: the engine's Jacobian")


def test_a_skewed_relu_rule_fails(skew: Callable[..., None]) -> None:
    skew(pointwise, "relu_vjp")
    assert fails(run("linear_collapse"), "with ReLU: the engine's Jacobian")
