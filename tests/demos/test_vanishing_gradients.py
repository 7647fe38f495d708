"""vanishing_gradients: passes for every seed and depth, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import vanishing_gradients as module  # registers it
from app.engine import arith, pointwise

DEMO = get_demo("vanishing_gradients")
SIGMOID_GRADCHECK = "sigmoid net (3 layers): every analytic gradient"
RESIDUAL_GRADCHECK = "ReLU + residual net (3 layers): every analytic gradient"
BOUND = "sigmoid: the gradient shrinks at most as the product"
FACTOR = "sigmoid: the gradient shrinks at every layer"
BAND = "ReLU + residual (branches scaled by 1/√L)"
RATIO = "ReLU + residual: the input's gradient is of the same order"
LOSS = "ReLU + residual: the loss stays finite"


def test_the_chart_has_one_point_per_layer_on_a_log_scale() -> None:
    demo = DEMO.run_with({"depth": 10})
    chart = demo.charts[0]
    assert chart.log_y and [len(s.y) for s in chart.series] == [10, 10, 10]
    bound_chart = demo.charts[1]
    measured, bound = (np.array(s.y) for s in bound_chart.series)
    assert len(measured) == 10 and np.all(measured <= bound * (1 + 1e-9))


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shallow_nets_pass_every_check(depth: int, seed: int) -> None:
    # Before: the sigmoid check demanded a first/last ratio ≤ 1e-3 whatever the depth, so the
    # legal depths 2-5 showed FAIL. The per-layer factor is depth-aware.
    demo = DEMO.run_with({"depth": depth, "seed": seed})
    assert demo.passed, [(c.claim, c.measured) for c in demo.checks if not c.passed]


@pytest.mark.parametrize("params", [{"depth": 24, "width": 8, "batch": 1}, {"depth": 12}])
def test_the_scaled_residual_net_neither_explodes_nor_vanishes(params: dict[str, int]) -> None:
    for seed in range(20):
        demo = DEMO.run_with({**params, "seed": seed})
        assert demo.check(BAND).passed and demo.check(LOSS).passed
        assert demo.check(LOSS).measured <= 100


def test_unscaled_residual_branches_fail_the_explosion_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before: the unscaled ReLU + residual net (loss ~2e4 at depth 12) passed a first/last check.
    original = module.forward

    def unscaled(kind: str, *args: Any) -> Any:
        return original(kind + ", unscaled" if kind == "ReLU + residual" else kind, *args)

    monkeypatch.setattr(module, "forward", unscaled)
    for depth in (12, 24):
        demo = DEMO.run_with({"depth": depth, "seed": 0})
        assert not demo.check(LOSS).passed
        assert not demo.passed


def _rule(monkeypatch: pytest.MonkeyPatch, name: str, wrong: Callable[..., tuple]) -> None:
    monkeypatch.setattr(pointwise, name, wrong)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda g, xs, out, ctx, need: (g * (1 - out),),  # σ′ = 1 − σ
        lambda g, xs, out, ctx, need: (g * 0,),  # σ′ = 0
        lambda g, xs, out, ctx, need: (g * out * (1 - out) * (1 + 1e-4),),  # off by 1e-4
    ],
    ids=["one-minus-s", "zero", "skew"],
)
def test_a_wrong_sigmoid_derivative_fails_the_sigmoid_gradcheck(
    monkeypatch: pytest.MonkeyPatch, wrong: Callable[..., tuple]
) -> None:
    # Before: every check passed with σ′ replaced by 1 − σ or by 0.
    _rule(monkeypatch, "sigmoid_vjp", wrong)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(SIGMOID_GRADCHECK).passed
    assert demo.check(RESIDUAL_GRADCHECK).passed


def test_a_linear_rule_off_by_1e4_fails_both_gradchecks(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(SIGMOID_GRADCHECK).passed
    assert not demo.check(RESIDUAL_GRADCHECK).passed


def test_an_identity_path_that_halved_the_gradient_fails_the_residual_checks(
    skew: Callable[..., None],
) -> None:
    # The residual add's rule passing half the gradient: the identity path now shrinks it too.
    skew(arith, "add_vjp", 0.5)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(RESIDUAL_GRADCHECK).passed
    assert not demo.check(RATIO).passed
    assert demo.check(SIGMOID_GRADCHECK).passed


def test_a_bound_smaller_than_the_measured_shrinkage_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = module.layer_factors
    monkeypatch.setattr(module, "layer_factors", lambda run: original(run) * 0.5)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(BOUND).passed


def test_the_bound_is_the_product_of_diag_sigma_prime_w_norms() -> None:
    params = module.VanishingGradientsParams(depth=4, width=8, batch=2, seed=3)
    run = module.run_net("sigmoid", params)
    rho = module.layer_factors(run)
    z, w = run.pre_activations[0], run.weights[0]
    s = 1 / (1 + np.exp(-z))
    expected = max(np.linalg.norm(np.diag(s[b] * (1 - s[b])) @ w, 2) for b in range(2))
    assert len(rho) == 3 and rho[0] == pytest.approx(expected)
    assert np.all(rho <= np.array([np.linalg.norm(w, 2) / 4 for w in run.weights[:3]]) + 1e-12)


def test_a_net_whose_gradient_does_not_shrink_fails_the_factor_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = module.run_net

    def flat(kind: str, params: Any) -> Any:
        run = original(kind, params)
        if kind != "sigmoid":
            return run
        return module.Run(
            run.loss,
            run.weight_grads,
            np.ones_like(run.input_grads),
            run.pre_activations,
            run.weights,
        )

    monkeypatch.setattr(module, "run_net", flat)
    assert not DEMO.run_with({"seed": 0}).check(FACTOR).passed


@pytest.mark.parametrize(
    "params", [{"depth": 1}, {"depth": 25}, {"width": 7}, {"batch": 17}, {"seed": -1}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
