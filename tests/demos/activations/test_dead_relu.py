"""dead_relu: dead units get exactly zero and stay put; the leak moves them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError

from app.engine import activations, pointwise
from tests.demos.activations._helpers import fails, run


def test_dead_units_have_zero_gradient_and_never_move() -> None:
    demo = run("dead_relu", units=6, dead=3)
    assert demo.passed
    assert demo.check("ReLU: after 5 SGD steps").measured == 0
    assert demo.check("leaky ReLU: the same units").measured > 0


def test_relu_without_a_mask_revives_the_dead_units(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "relu_vjp", lambda g, xs, out, ctx, need: (g,))
    assert fails(run("dead_relu"), "ReLU: the dead units", "ReLU: after 5 SGD steps")


def test_a_leak_that_blocks_like_relu_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        activations, "leaky_relu_vjp", lambda g, xs, out, ctx, need: (g * (ctx == 1.0),)
    )
    assert fails(run("dead_relu"), "leaky ReLU (a = 0.01)", "leaky ReLU: the same units")


def test_a_skewed_linear_rule_fails(skew: Callable[..., None]) -> None:
    from app.engine import arith

    skew(arith, "linear_vjp")
    assert fails(run("dead_relu"), "ReLU: engine's ∂L/∂W")


def test_every_unit_dead_is_refused() -> None:
    with pytest.raises(ValidationError):
        run("dead_relu", units=3, dead=3)
