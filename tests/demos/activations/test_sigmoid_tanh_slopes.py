"""sigmoid_tanh_slopes: known peaks, and each check can fail."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.engine import pointwise
from tests.demos.activations._helpers import fails, run


def test_the_peaks_are_a_quarter_and_one() -> None:
    demo = run("sigmoid_tanh_slopes")
    assert demo.passed
    assert {s.label: s.value for s in demo.steps}["σ′(0), tanh′(0)"] == "0.25, 1"


def test_a_skewed_sigmoid_rule_fails_the_formula_peak_and_chain_checks(
    skew: Callable[..., None],
) -> None:
    skew(pointwise, "sigmoid_vjp")
    demo = run("sigmoid_tanh_slopes")
    assert fails(
        demo,
        "engine's σ′(z) equals",
        "σ′(0) = 1/4",
        "tanh′(z) = 4σ′(2z)",
        "through 6 chained sigmoids",
    )


def test_a_skewed_tanh_rule_fails_its_checks(skew: Callable[..., None]) -> None:
    skew(pointwise, "tanh_vjp")
    demo = run("sigmoid_tanh_slopes")
    assert fails(demo, "engine's tanh′(z) equals", "tanh′(0) = 1", "tanh′(z) = 4σ′(2z)")


def test_sigma_prime_as_one_minus_sigma_breaks_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "sigmoid_vjp", lambda g, xs, out, ctx, need: (g * (1 - out),))
    demo = run("sigmoid_tanh_slopes", depth=1)
    assert fails(demo, "engine's σ′(z) equals", "σ′(0) = 1/4")
