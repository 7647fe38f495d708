"""relu_regions: n units give n + 1 pieces, k tents give 2^k."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.engine import arith, pointwise
from tests.demos.activations._helpers import fails, run


@pytest.mark.parametrize(("units", "tents"), [(1, 1), (6, 4), (12, 6)])
def test_the_counts(units: int, tents: int) -> None:
    demo = run("relu_regions", units=units, tents=tents)
    assert demo.passed
    assert demo.check(f"{units} units make").measured == units + 1
    assert demo.check("deep net").measured == 2**tents


def test_skewed_relu_and_linear_rules_fail(skew: Callable[..., None]) -> None:
    skew(pointwise, "relu_vjp")
    assert fails(run("relu_regions"), "shallow net", "and it is the slope", "every tent piece")


def test_a_skewed_linear_rule_fails(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    assert fails(run("relu_regions"), "shallow net", "every tent piece")
