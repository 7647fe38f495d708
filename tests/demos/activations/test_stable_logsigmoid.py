"""stable_logsigmoid: the naive forms overflow, −softplus(−z) is exact."""

from __future__ import annotations

from collections.abc import Callable

from app.demos.activations.stable_logsigmoid import reference_log_sigmoid
from app.engine import activations
from tests.demos.activations._helpers import fails, run


def test_the_reference_is_right_far_out() -> None:
    value, slope = reference_log_sigmoid(-900.0)
    assert value == -900.0 and slope == 1.0
    demo = run("stable_logsigmoid")
    assert demo.passed and demo.check("naive NumPy").measured >= 2


def test_a_skewed_softplus_rule_fails(skew: Callable[..., None]) -> None:
    skew(activations, "softplus_vjp")
    assert fails(run("stable_logsigmoid"), "its engine gradient")


def test_a_skewed_sigmoid_rule_fails(skew: Callable[..., None]) -> None:
    from app.engine import pointwise

    skew(pointwise, "sigmoid_vjp")
    assert fails(run("stable_logsigmoid"), "the engine's sigmoid never overflows")
