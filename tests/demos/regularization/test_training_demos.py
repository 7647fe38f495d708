"""The regularization demos that train a linear model on the engine (early stopping, bias and
variance, double descent, augmentation, label noise, minibatch noise, max-norm, noise
injection, minimum norm): known values, and a skewed linear or MSE rule fails them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.regularization import double_descent, stochastic_depth  # noqa: F401
from app.engine import arith, losses

# Each demo and the check a 1e-4 skew of linear's (or mse's) gradient must fail.
SKEW_FAILS = {
    "early_stopping": "the engine's descent equals",
    "bias_variance": "each fit through the engine's gradient",
    "double_descent": "the fits through the engine's gradient",
    "augmentation_invariance": "the engine's descent on the augmented set",
    "label_noise": "the engine's descent equals",
    "minibatch_noise": "per-example gradients equal",
    "max_norm": "the engine's SGD step equals",
    "noise_injection": "the gradient is (2/n)Xᵀ(Xw − y) + 2σ²w",
    "min_norm_gd": "the engine's descent equals",
}


@pytest.mark.parametrize("name", sorted(SKEW_FAILS))
@pytest.mark.parametrize(("module", "rule"), [(arith, "linear_vjp"), (losses, "mse_vjp")])
def test_a_skewed_gradient_rule_fails_the_reference_check(
    skew: Callable[..., None], name: str, module: object, rule: str
) -> None:
    assert get_demo(name).run_with({"seed": 0}).check(SKEW_FAILS[name]).passed
    skew(module, rule)
    assert not get_demo(name).run_with({"seed": 0}).check(SKEW_FAILS[name]).passed


def test_double_descent_sweeps_through_the_threshold() -> None:
    assert double_descent.widths(20)[:3] == [1, 2, 5] and 20 in double_descent.widths(20)
    demo = get_demo("double_descent").run_with({"seed": 1})
    assert {s.label: s.value for s in demo.steps}["p with the highest test error"] in (19, 20, 21)


def test_bias_variance_matches_sigma_squared_p_over_n() -> None:
    demo = get_demo("bias_variance").run_with({"seed": 0, "n": 20, "noise": 0.3})
    values = {s.label: s.value for s in demo.steps}
    np.testing.assert_allclose(
        np.asarray(values["σ²p/n per degree"], float), 0.09 * np.arange(1, 11) / 20
    )
    ratio = np.asarray(values["variance per degree"], float) / np.asarray(
        values["σ²p/n per degree"], float
    )
    assert np.all((ratio > 0.75) & (ratio < 1.33))


def test_min_norm_reaches_the_pseudo_inverse_norm() -> None:
    demo = get_demo("min_norm_gd").run_with({"seed": 4})
    values = {s.label: s.value for s in demo.steps}
    reached, minimum = (float(values[k]) for k in ("‖w‖ reached from 0", "‖X⁺y‖ (minimum norm)"))
    assert reached == pytest.approx(minimum, rel=1e-6)
    assert float(values["‖w‖ reached from w₀"]) > minimum


def test_stochastic_depth_expected_blocks_is_three_l_minus_one_over_four() -> None:
    demo = get_demo("stochastic_depth").run_with({"seed": 0})
    assert demo.steps[-1].value == pytest.approx((3 * 54 - 1) / 4)


def test_a_skewed_linear_rule_fails_stochastic_depths_gradient_checks(
    skew: Callable[..., None],
) -> None:
    skew(arith, "linear_vjp")
    demo = get_demo("stochastic_depth").run_with({"seed": 0})
    assert not demo.check("a kept row's input gradient").passed
    assert not demo.check("the branch's ∂L/∂W₂").passed
