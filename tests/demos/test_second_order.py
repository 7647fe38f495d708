"""second_order: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import second_order as module  # registers it
from app.engine import Tensor, arith, hessian, pointwise

DEMO = get_demo("second_order")


def skew_tangent_rule(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """Make a forward-mode (jvp) rule off by 1e-4 relative; backward rules stay right."""
    original = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *args: original(*args) * (1 + 1e-4))


def test_newton_takes_one_step_and_the_full_hessian_takes_n_hvps() -> None:
    demo = DEMO.run_with({"seed": 1, "n": 6})
    values = {step.label: step.value for step in demo.steps}
    newton = next(s for s in demo.charts[0].series if s.label == "Newton")
    assert len(newton.x) == 2 and newton.y[-1] <= 1e-14
    hvp_flops = values["counted FLOPs: one Hessian-vector product"]
    assert values["counted FLOPs: full Hessian"] == 6 * hvp_flops


def test_a_skewed_tanh_tangent_fails_the_finite_difference_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skew_tangent_rule(monkeypatch, pointwise, "tanh_jvp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("the engine's exact Hessian-vector product matches").passed


def test_a_skewed_matmul_tangent_fails_the_hessian_and_newton_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skew_tangent_rule(monkeypatch, arith, "matmul_jvp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("on a quadratic the engine's H v equals A v").passed
    assert not demo.check("on a quadratic the engine's full Hessian equals A").passed
    assert not demo.check("one Newton step lands on the minimum").passed


@pytest.mark.parametrize("n", [2, 4, 8])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_a_perfectly_conditioned_quadratic_passes_with_one_gradient_step(n: int, seed: int) -> None:
    # Before: the check demanded ≥ 10 steps, so the legal condition = 1 showed FAIL. With κ = 1
    # and step 1/λ, gradient descent is Newton's method: one step, as the rate 1 − 1/κ = 0 says.
    demo = DEMO.run_with({"seed": seed, "n": n, "condition": 1})
    assert demo.passed, [(c.claim, c.measured) for c in demo.checks if not c.passed]
    assert demo.check("gradient descent needs the steps").measured == 1


@pytest.mark.parametrize("condition", [2, 10, 50])
def test_gradient_descent_needs_many_steps_when_conditioning_is_poor(condition: int) -> None:
    demo = DEMO.run_with({"seed": 0, "condition": condition})
    check = demo.check("gradient descent needs the steps")
    assert check.passed and check.measured >= 10


def test_gradient_descent_slower_than_its_rate_fails_the_steps_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = module.gradient_descent
    monkeypatch.setattr(
        module, "gradient_descent", lambda f, x0, lr, target: original(f, x0, lr / 2, target)
    )
    assert not DEMO.run_with({"seed": 0}).check("gradient descent needs the steps").passed


def test_the_predicted_step_range_brackets_the_steps() -> None:
    eigenvalues = np.array([1.0, 10.0])
    q = np.eye(2)
    low, high = module.gd_step_range(eigenvalues, q, np.array([1.0, 1.0]))
    # r = 0.9: ‖e_t‖ ≤ 0.9^t ‖e_0‖ ≤ 1e-8 ‖e_0‖ from t = 175; the λ = 10 part dies at once.
    assert high == 175 and low == 172
    assert module.gd_step_range(np.ones(3), np.eye(3), np.ones(3)) == (1, 1)


def test_an_hvp_built_from_the_full_hessian_fails_the_cost_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def through_hessian(f: Callable[[Tensor], Tensor], x: np.ndarray, v: np.ndarray) -> Tensor:
        return Tensor(hessian(f, x) @ v)

    monkeypatch.setattr(module, "hessian_vector_product", through_hessian)
    demo = DEMO.run_with({"seed": 0, "n": 8})
    assert not demo.check("one Hessian-vector product costs a few gradients").passed


@pytest.mark.parametrize(
    "params", [{"n": 1}, {"n": 9}, {"condition": 0}, {"condition": 51}, {"seed": -1}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
