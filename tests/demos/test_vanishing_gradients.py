"""vanishing_gradients: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import vanishing_gradients as _  # noqa: F401  (registers it)
from app.engine import arith

DEMO = get_demo("vanishing_gradients")


def test_the_chart_has_one_point_per_layer_on_a_log_scale() -> None:
    demo = DEMO.run_with({"depth": 10})
    (chart,) = demo.charts
    assert chart.log_y and [len(s.y) for s in chart.series] == [10, 10, 10]


def test_a_shallow_sigmoid_net_fails_the_vanishing_check() -> None:
    # Two layers are too few for the product of σ' ≤ 1/4 factors to become tiny.
    demo = DEMO.run_with({"seed": 0, "depth": 2})
    assert not demo.check("sigmoid's first-layer gradient norm").passed


def test_an_identity_path_that_halved_the_gradient_fails_the_residual_check(
    skew: Callable[..., None],
) -> None:
    # The residual add's rule passing half the gradient: the identity path now shrinks it too.
    skew(arith, "add_vjp", 0.5)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("ReLU with residual connections keeps").passed
    assert demo.check("sigmoid's first-layer gradient norm").passed


@pytest.mark.parametrize(
    "params", [{"depth": 1}, {"depth": 25}, {"width": 7}, {"batch": 17}, {"seed": -1}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
