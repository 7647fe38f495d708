"""softplus_sigmoid: the slope is σ(βx), the gap log 2/β, and torch's threshold."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from app.engine import activations
from tests.demos.activations._helpers import fails, run


def test_the_gap_at_zero_is_log_two_over_beta() -> None:
    demo = run("softplus_sigmoid", beta=2.0)
    assert demo.passed
    assert "log 2/β = 0.3466" in demo.summary and math.log(2) / 2 == pytest.approx(0.34657, 1e-4)


def test_a_skewed_softplus_rule_fails(skew: Callable[..., None]) -> None:
    skew(activations, "softplus_vjp")
    assert fails(run("softplus_sigmoid"), "engine's softplus′", "analytic ∂Σ softplus")


def test_the_extra_beta_slip_fails_when_beta_is_not_one(monkeypatch: pytest.MonkeyPatch) -> None:
    original = activations.softplus_vjp
    monkeypatch.setattr(
        activations,
        "softplus_vjp",
        lambda g, xs, out, ctx, need: (original(g, xs, out, ctx, need)[0] * ctx[0],),
    )
    assert fails(run("softplus_sigmoid", beta=2.0), "engine's softplus′", "and its slope there")
