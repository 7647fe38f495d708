"""vanishing_gradients: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import vanishing_gradients as _  # noqa: F401  (registers it)
from app.engine import arith
from tests.demos.conftest import SEEDS

DEMO = get_demo("vanishing_gradients")


@pytest.mark.parametrize("seed", SEEDS)
def test_every_check_passes(seed: int) -> None:
    demo = DEMO.run_with({"seed": seed})
    assert demo.checks and demo.passed, [c for c in demo.checks if not c.passed]


def test_same_seed_same_numbers_and_another_seed_others() -> None:
    first, again, other = (DEMO.run_with({"seed": s}) for s in (7, 7, 8))
    assert all(
        np.array_equal(a.value, b.value) for a, b in zip(first.steps, again.steps, strict=True)
    )
    assert not np.array_equal(first.steps[0].value, other.steps[0].value)


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
