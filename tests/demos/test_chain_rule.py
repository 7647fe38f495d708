"""chain_rule: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import chain_rule as module  # registers it
from app.demos import get_demo
from app.engine import Tensor, arith, grad, jacobian, pointwise

DEMO = get_demo("chain_rule")
SCALAR = "f'(g(x))·g'(x), a product of local derivatives"
VECTOR = "the Jacobian product J_f(g(x))·J_g(x) equals"
BACKPROP = "for a scalar loss, backprop's ∇ₓL equals"


@pytest.mark.parametrize("sizes", [(1, 1, 1), (6, 6, 6), (2, 5, 1)])
def test_every_check_passes_for_other_shapes(sizes: tuple[int, int, int]) -> None:
    demo = DEMO.run_with(dict(zip("nmk", sizes, strict=True)))
    assert demo.passed, [c for c in demo.checks if not c.passed]


def test_the_product_has_the_composition_shape() -> None:
    demo = DEMO.run_with({"n": 5, "m": 3, "k": 2})
    values = {step.label: step.value for step in demo.steps}
    assert np.shape(values["J_g(x)"]) == (3, 5)
    assert np.shape(values["J_f(g(x))"]) == (2, 3)
    assert np.shape(values["J_f(g(x)) · J_g(x)"]) == (2, 5)


def test_a_skewed_tanh_rule_fails_every_check(skew: Callable[..., None]) -> None:
    skew(pointwise, "tanh_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(SCALAR).passed
    assert not demo.check(VECTOR).passed
    assert not demo.check(BACKPROP).passed


def test_a_skewed_sigmoid_rule_fails_the_jacobian_product(skew: Callable[..., None]) -> None:
    skew(pointwise, "sigmoid_vjp")
    assert not DEMO.run_with({"seed": 0}).check(VECTOR).passed


def test_the_outer_derivative_at_x_instead_of_g_x_fails_the_scalar_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def at_the_wrong_point(x: float) -> tuple[float, float]:
        return float(grad(module.outer_scalar)(x)), float(grad(module.inner_scalar)(x))

    monkeypatch.setattr(module, "local_derivatives", at_the_wrong_point)
    assert not DEMO.run_with({"seed": 0}).check(SCALAR).passed


def test_the_outer_jacobian_at_x_instead_of_g_x_fails_the_vector_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def at_the_wrong_point(
        f: Callable[[Tensor], Tensor], g: Callable[[Tensor], Tensor], x: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        j_f, j_g = jacobian(f, x).matrix, jacobian(g, x).matrix
        return j_f, j_g, j_f @ j_g

    monkeypatch.setattr(module, "jacobian_product", at_the_wrong_point)
    # n = m, so J_f(x) has the right shape and only its values are wrong.
    assert not DEMO.run_with({"seed": 0, "n": 3, "m": 3}).check(VECTOR).passed


def test_a_skewed_matmul_rule_fails_the_scalar_loss_check(skew: Callable[..., None]) -> None:
    # Backprop through f∘g runs the matmul rule twice (B, then A); J_g(x)ᵀ∇ᵤL runs it once
    # (forward mode builds J_g), so the two sides part.
    skew(arith, "matmul_vjp")
    assert not DEMO.run_with({"seed": 0}).check(BACKPROP).passed


@pytest.mark.parametrize("params", [{"n": 0}, {"m": 7}, {"k": 0}, {"seed": -1}, {"x": 1.0}])
def test_out_of_range_params_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
