"""relu_backward: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import relu_backward as module  # registers it
from app.engine import Tensor, pointwise

DEMO = get_demo("relu_backward")


def test_the_input_has_exact_zeros_and_the_conventions_differ_only_there() -> None:
    demo = DEMO.run_with({"seed": 1, "batch": 4, "n": 6})
    values = {step.label: step.value for step in demo.steps}
    z = np.asarray(values["Z (pre-activation)"])
    differ = values["∂L/∂Z, convention 0 at Z = 0"] != values["∂L/∂Z, convention 1 at Z = 0"]
    assert z.shape == (4, 6) and values["exact zeros in Z"] == 6
    assert np.array_equal(differ, z == 0)


def test_a_skewed_relu_rule_fails_the_formula_pass_through_and_finite_difference_checks(
    skew: Callable[..., None],
) -> None:
    skew(pointwise, "relu_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("engine's ∂L/∂Z equals H̄ ⊙ M").passed
    assert not demo.check("where Z > 0 the upstream gradient passes").passed
    assert not demo.check("analytic ∂L/∂Z (away from 0) equals central differences").passed


def test_a_relu_that_passed_every_gradient_fails_the_blocking_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if ReLU were linear: the gradient is not blocked on the negative side.
    monkeypatch.setattr(pointwise, "relu_vjp", lambda g, xs, out, ctx, need: (g,))
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("where Z < 0 the gradient is zeroed").passed
    assert not demo.check("at Z = 0 convention 0 gives a gradient of 0").passed


def test_a_default_convention_of_one_half_fails_the_convention_0_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pointwise, "RELU_GRAD_AT_ZERO", 0.5)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("at Z = 0 convention 0 gives a gradient of 0").passed
    assert demo.check("at Z = 0 convention 1 passes the upstream gradient").passed


def test_a_relu_that_ignored_the_convention_fails_the_convention_1_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def ignoring(x: Tensor, grad_at_zero: float | None = None) -> Tensor:
        return pointwise.relu(x)

    monkeypatch.setattr(module, "relu", ignoring)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("at Z = 0 convention 1 passes the upstream gradient").passed


@pytest.mark.parametrize("params", [{"batch": 0}, {"batch": 9}, {"n": 1}, {"n": 9}, {"seed": -1}])
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
