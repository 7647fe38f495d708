"""softmax_cross_entropy: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import softmax_cross_entropy as _  # noqa: F401  (registers it)
from app.engine import reduce

DEMO = get_demo("softmax_cross_entropy")


def test_per_example_gradient_is_p_minus_y() -> None:
    demo = DEMO.run_with({"seed": 2, "batch": 5, "classes": 6})
    values = {step.label: step.value for step in demo.steps}
    p, y = values["P = softmax(Z), row-wise"], values["Y (one-hot)"]
    grad = np.asarray(values["engine's ∂L/∂Z"])
    assert grad.shape == (5, 6)
    np.testing.assert_allclose(5 * grad, np.asarray(p) - np.asarray(y), atol=1e-14)


def test_a_skewed_log_softmax_rule_fails_the_formula_and_finite_difference_checks(
    skew: Callable[..., None],
) -> None:
    skew(reduce, "log_softmax_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("engine's ∂L/∂Z equals (P − Y)/B").passed
    assert not demo.check("analytic ∂L/∂Z equals central differences").passed
    assert demo.check("the long route through the softmax Jacobian").passed


def test_a_skewed_softmax_rule_fails_the_jacobian_and_long_route_checks(
    skew: Callable[..., None],
) -> None:
    skew(reduce, "softmax_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("engine's softmax Jacobian equals diag(p) − p pᵀ").passed
    assert not demo.check("the long route through the softmax Jacobian").passed


@pytest.mark.parametrize(
    "params", [{"batch": 0}, {"batch": 9}, {"classes": 1}, {"classes": 9}, {"seed": -1}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
