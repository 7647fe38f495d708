"""linear_backward: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.engine import arith

DEMO = get_demo("linear_backward")


def test_gradient_shapes_follow_the_params() -> None:
    demo = DEMO.run_with({"batch": 5, "n_in": 4, "n_out": 3})
    values = {step.label: step.value for step in demo.steps}
    assert np.shape(values["∂L/∂W = Gᵀ X"]) == (3, 4)
    assert np.shape(values["∂L/∂X = G W"]) == (5, 4)
    assert np.shape(values["∂L/∂b = Gᵀ 1"]) == (3,)


def test_a_skewed_linear_rule_fails_the_formula_and_finite_difference_checks(
    skew: Callable[..., None],
) -> None:
    # Card 5 runs the fused linear op nn.Linear uses, so a slip in its rule must show.
    skew(arith, "linear_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("engine's dW equals the formula").passed
    assert not demo.check("engine's dX equals the formula").passed
    assert not demo.check("analytic ∂L/∂W equals central differences").passed
    assert not demo.check("analytic ∂L/∂X equals central differences").passed


def test_a_bias_gradient_not_summed_over_the_batch_fails_the_shape_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = arith.linear_vjp

    def unsummed(g: np.ndarray, *rest: object) -> tuple:
        grads = original(g, *rest)  # type: ignore[arg-type]
        return (*grads[:2], g)  # db left with the batch dimension

    monkeypatch.setattr(arith, "linear_vjp", unsummed)
    demo = DEMO.run_with({"seed": 0, "batch": 3})
    assert not demo.check("every gradient has its tensor's shape").passed
    assert not demo.check("engine's db equals the formula").passed


def test_the_wrong_layout_is_shown_with_its_shape_and_a_transposed_dw_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = {s.label: s.value for s in DEMO.run_with({"seed": 0, "n_in": 3, "n_out": 2}).steps}
    assert np.asarray(values["wrong layout Xᵀ G"]).shape == (3, 2)
    original = arith.linear_vjp

    def transposed(g: np.ndarray, *rest: object) -> tuple:
        dx, dw, db = original(g, *rest)  # type: ignore[arg-type]
        return (dx, dw.T, db)  # Xᵀ G: fits W only when it is square

    monkeypatch.setattr(arith, "linear_vjp", transposed)
    demo = DEMO.run_with({"seed": 0, "n_in": 3, "n_out": 3})
    assert not demo.check("the wrong layout Xᵀ G is not ∂L/∂W").passed


@pytest.mark.parametrize(
    "params", [{"batch": 0}, {"batch": 33}, {"n_in": 17}, {"seed": -1}, {"width": 3}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
