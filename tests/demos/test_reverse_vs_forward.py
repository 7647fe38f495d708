"""reverse_vs_forward: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import reverse_vs_forward as module  # registers it
from app.engine import Jacobian, arith, jacobian, pointwise

DEMO = get_demo("reverse_vs_forward")
FORWARD = "forward mode needed n ="
REVERSE = "reverse mode needed 1 VJP pass"
SAME = "the n JVPs and the single VJP give the same gradient"
FINITE = "analytic ∇f equals central differences"
PATTERN = "at every n on the chart"


def test_the_pass_chart_grows_as_n_for_forward_mode_and_stays_at_one_for_reverse() -> None:
    demo = DEMO.run_with({"n_max": 12})
    forward, reverse = demo.charts[0].series
    assert forward.x == [1, 2, 4, 8, 12] and forward.y == [1, 2, 4, 8, 12]
    assert reverse.y == [1, 1, 1, 1, 1]


def test_timings_decide_no_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock running backwards makes every timing negative: the verdicts must not move.
    ticks = itertools.count()
    monkeypatch.setattr(module.time, "perf_counter", lambda: -float(next(ticks)))
    demo = DEMO.run_with({"seed": 0})
    assert demo.passed
    assert all(y < 0 for series in demo.charts[1].series for y in series.y)


def test_swapped_modes_fail_the_pass_count_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    def swapped(f: Callable[..., Any], x: Any, mode: str = "rev") -> Jacobian:
        return jacobian(f, x, mode="rev" if mode == "fwd" else "fwd")

    monkeypatch.setattr(module, "jacobian", swapped)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(FORWARD).passed
    assert not demo.check(REVERSE).passed
    assert not demo.check(PATTERN).passed
    assert demo.check(SAME).passed  # the gradient itself is the same either way


def test_a_skewed_tanh_rule_fails_the_agreement_checks(skew: Callable[..., None]) -> None:
    skew(pointwise, "tanh_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(SAME).passed
    assert not demo.check(FINITE).passed


def test_a_skewed_matmul_rule_fails_the_finite_difference_check(
    skew: Callable[..., None],
) -> None:
    skew(arith, "matmul_vjp")
    assert not DEMO.run_with({"seed": 0}).check(FINITE).passed


@pytest.mark.parametrize(
    "params", [{"n": 0}, {"n": 9}, {"n_max": 1}, {"n_max": 129}, {"seed": -1}, {"m": 2}]
)
def test_out_of_range_params_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)


def test_the_vjp_pass_count_is_the_engines_not_the_demos(monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine whose reverse-mode Jacobian walks the graph twice fails the one-pass check:
    the count comes from the engine's backward walks, not from the demo's own loop."""
    from app.engine import functional

    original = functional.vjp

    def twice(f: Callable[..., Any], x: Any) -> Any:
        y, vjp_fn = original(f, x)

        def walk_twice(u: Any) -> Any:
            vjp_fn(u)
            return vjp_fn(u)

        return y, walk_twice

    monkeypatch.setattr(functional, "vjp", twice)
    demo = DEMO.run_with({"seed": 0})
    verdicts = {check.claim: check.passed for check in demo.checks}
    assert verdicts[next(claim for claim in verdicts if claim.startswith(REVERSE))] is False
