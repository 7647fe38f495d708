"""backward_cost: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import backward_cost as _  # noqa: F401  (registers it)
from app.demos import get_demo
from app.engine import arith

DEMO = get_demo("backward_cost")


def test_counted_flops_are_reproducible_and_do_not_depend_on_the_values() -> None:
    # Time is in a chart only; the steps hold counts, which depend on shapes, not on the seed.
    first, again, other = (DEMO.run_with({"seed": s}) for s in (7, 7, 8))
    for a, b, c in zip(first.steps, again.steps, other.steps, strict=True):
        assert np.array_equal(a.value, b.value) and np.array_equal(a.value, c.value)


def test_the_counts_follow_the_params() -> None:
    demo = DEMO.run_with({"batch": 2, "max_width": 32})
    values = {step.label: step.value for step in demo.steps}
    assert values["forward FLOPs of Z = X Wᵀ, width 32"] == 2 * 32 * 32
    assert values["backward FLOPs, hidden layer"] == 2 * 2 * 32 * 32
    assert values["backward FLOPs, first layer"] == 2 * 32 * 32
    assert demo.charts[0].series[0].x == [8, 16, 32]


def forcing_input_gradient(monkeypatch: pytest.MonkeyPatch, wanted: bool) -> None:
    """Make the linear rule compute dX always (wanted=True) or never (False)."""
    original = arith.linear_vjp

    def rule(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
        return original(g, xs, out, ctx, (wanted, *need[1:]))

    monkeypatch.setattr(arith, "linear_vjp", rule)


def test_an_engine_that_always_computes_dx_fails_the_first_layer_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forcing_input_gradient(monkeypatch, True)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("a first layer that needs no input gradient").passed
    assert demo.check("a hidden layer's backward costs twice").passed


def test_an_engine_that_never_computes_dx_fails_the_hidden_and_step_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forcing_input_gradient(monkeypatch, False)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("a hidden layer's backward costs twice").passed
    assert not demo.check("a whole training step costs about three forwards").passed


@pytest.mark.parametrize(
    "params", [{"batch": 0}, {"batch": 65}, {"max_width": 15}, {"max_width": 257}, {"seed": -1}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
