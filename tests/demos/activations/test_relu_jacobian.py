"""relu_jacobian: a 0/1 projection for ReLU, entries ≤ 1/4 for sigmoid."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.engine import pointwise
from tests.demos.activations._helpers import fails, run


def test_it_passes_at_depth_thirty() -> None:
    demo = run("relu_jacobian", depth=30)
    assert demo.passed and demo.check("30 ReLUs").measured == 0.0


def test_a_skewed_relu_rule_fails(skew: Callable[..., None]) -> None:
    skew(pointwise, "relu_vjp")
    assert fails(run("relu_jacobian"), "ReLU layer", "it is a projection", "10 ReLUs")


def test_sigma_prime_as_one_minus_sigma_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "sigmoid_vjp", lambda g, xs, out, ctx, need: (g * (1 - out),))
    assert fails(run("relu_jacobian"), "sigmoid layer")


def test_the_weighted_chains_are_checked(skew: Callable[..., None]) -> None:
    skew(pointwise, "relu_vjp")
    assert fails(run("relu_jacobian"), "10 weighted ReLU layers")


def test_a_skewed_sigmoid_rule_fails_the_weighted_chain(skew: Callable[..., None]) -> None:
    skew(pointwise, "sigmoid_vjp")
    assert fails(run("relu_jacobian"), "10 weighted sigmoid layers")
