"""norm_weight_decay: scale invariance before batch norm, and checks that can fail."""

from __future__ import annotations

from collections.abc import Callable

from app.demos import get_demo
from app.demos.init_norm import norm_weight_decay  # noqa: F401  (registers it)
from app.engine import arith, norm

DEMO = get_demo("norm_weight_decay")


def test_the_effective_learning_rate_is_lr_over_c_squared() -> None:
    demo = DEMO.run_with({"seed": 1, "scale": 4.0})
    assert demo.steps[-1].value == 0.1 / 16


def test_a_skewed_linear_rule_breaks_the_scaling_law(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("the engine's gradients of BN(xWᵀ)").passed


def test_a_skewed_norm_rule_fails_the_gradcheck(skew: Callable[..., None]) -> None:
    skew(norm, "norm_vjp")
    assert not DEMO.run_with({"seed": 0}).check("the engine's gradients of BN(xWᵀ)").passed
