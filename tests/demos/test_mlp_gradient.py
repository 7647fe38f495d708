"""mlp_gradient: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import mlp_gradient as module  # registers it
from app.engine import Tensor, arith, count, no_grad, pointwise

DEMO = get_demo("mlp_gradient")
FD_CLAIMS = [f"analytic ∂L/∂{name} equals central differences" for name in module.NAMES]


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_every_check_passes_for_other_activations_and_the_largest_sizes(activation: str) -> None:
    demo = DEMO.run_with({"activation": activation, "batch": 8, "n_in": 6, "hidden": 8, "n_out": 4})
    assert demo.passed, [c for c in demo.checks if not c.passed]


def test_the_chart_counts_one_backprop_sweep_against_two_forwards_per_parameter() -> None:
    demo = DEMO.run_with({"hidden": 3, "n_in": 2, "n_out": 1})
    backprop, finite = demo.charts[0].series
    assert backprop.y == [2, 2, 2]
    # P = h·d + h + k·h + k for h = 1, 2, 3 with d = 2, k = 1.
    assert finite.x == [5, 9, 13] and finite.y == [10, 18, 26]


def test_a_skewed_linear_rule_fails_the_weight_bias_and_formula_checks(
    skew: Callable[..., None],
) -> None:
    # The demo runs the fused linear op (as nn.Linear does), so linear's rule is what it tests.
    skew(arith, "linear_vjp")
    demo = DEMO.run_with({"seed": 0})
    for name in module.NAMES:
        assert not demo.check(f"analytic ∂L/∂{name} equals central differences").passed
    assert not demo.check("the card's formulas").passed


def test_the_demo_runs_linear_not_matmul_and_add() -> None:
    with count() as counter:
        DEMO.run_with({"seed": 0})
    assert counter.flops["forward"]["linear"] > 0
    assert counter.flops["forward"]["matmul"] == 0 and counter.flops["forward"]["add"] == 0


def test_a_skewed_activation_rule_fails_the_formula_check(skew: Callable[..., None]) -> None:
    skew(pointwise, "tanh_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("the card's formulas").passed
    assert not demo.check("analytic ∂L/∂W1 equals central differences").passed


def test_one_backward_per_parameter_tensor_fails_the_single_pass_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The passes are what the engine counted, so a route that really runs four sweeps shows it.
    def one_sweep_per_tensor(
        loss: module.LossFn, arrays: list[np.ndarray]
    ) -> tuple[list[np.ndarray], module.Passes]:
        grads = []
        with count() as counter:
            for i in range(len(arrays)):
                leaves = [Tensor(a, requires_grad=True) for a in arrays]
                loss(*leaves).backward()
                grads.append(np.asarray(leaves[i].grad))
        return grads, module.counted_passes(counter, module.ops_per_forward(loss, arrays))

    monkeypatch.setattr(module, "backprop_gradient", one_sweep_per_tensor)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("the engine counted one forward and one backward pass").passed


def test_the_pass_counts_come_from_the_engine_not_the_demo_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = module.finite_difference_gradient

    def forward_differences(
        loss: module.LossFn, arrays: list[np.ndarray]
    ) -> tuple[list[np.ndarray], module.Passes]:
        # (L(w + ε) − L(w)) / ε: one pass per parameter plus the base point, counted by the engine.
        grads, _ = real(loss, arrays)
        per_forward = module.ops_per_forward(loss, arrays)
        with count() as counter, no_grad():
            for _ in range(sum(a.size for a in arrays) + 1):
                loss(*[Tensor(a) for a in arrays])
        return grads, module.counted_passes(counter, per_forward)

    monkeypatch.setattr(module, "finite_difference_gradient", forward_differences)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("the engine counted 2P").passed


@pytest.mark.parametrize(
    "params",
    [
        {"batch": 0},
        {"batch": 9},
        {"hidden": 9},
        {"n_in": 7},
        {"n_out": 5},
        {"seed": -1},
        {"activation": "gelu"},
        {"width": 3},
    ],
)
def test_out_of_range_params_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
