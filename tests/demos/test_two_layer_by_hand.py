"""two_layer_by_hand: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import two_layer_by_hand as module  # registers it
from app.engine import arith, losses, pointwise
from tests.demos.conftest import SEEDS

DEMO = get_demo("two_layer_by_hand")
FORWARD = "the forward pass by hand gives the engine's loss L"
HAND = "all 9 hand-derived parameter gradients equal the engine's backward pass"


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("seed", SEEDS)
def test_every_check_passes(seed: int, activation: str) -> None:
    demo = DEMO.run_with({"seed": seed, "activation": activation})
    assert demo.checks and demo.passed, [c for c in demo.checks if not c.passed]


def test_nine_parameter_gradients_are_laid_out_one_by_one_and_none_is_zero() -> None:
    demo = DEMO.run_with({"seed": 3, "activation": "relu"})
    scalars = [s for s in demo.steps if s.label.startswith("∂L/∂") and "[" in s.label]
    scalars += [s for s in demo.steps if s.label == "∂L/∂b₂ = δ₂"]
    assert len(scalars) == 9
    assert all(isinstance(s.value, float) and s.value != 0 for s in scalars)


def test_the_integers_work_out_on_paper() -> None:
    # A network small enough to redo by hand: every weight an integer, b₁ half-integers.
    net = module.draw(np.random.default_rng(0), "relu")
    for array in (net.x, net.w1, net.w2, net.b2):
        assert np.array_equal(array, np.round(array))
    assert np.all(np.abs(net.b1) % 1 == 0.5)


def test_a_wrong_engine_sigmoid_fails_the_forward_check(monkeypatch: pytest.MonkeyPatch) -> None:
    original = pointwise._stable_sigmoid
    monkeypatch.setattr(pointwise, "_stable_sigmoid", lambda x: original(x) * (1 + 1e-4))
    assert not DEMO.run_with({"seed": 0}).check(FORWARD).passed


def test_a_skewed_sigmoid_rule_fails_the_hand_and_first_layer_checks(
    skew: Callable[..., None],
) -> None:
    skew(pointwise, "sigmoid_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(HAND).passed
    assert not demo.check("analytic ∂L/∂W1 equals central differences").passed
    assert not demo.check("analytic ∂L/∂b1 equals central differences").passed
    assert demo.check(FORWARD).passed


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_no_hidden_unit_is_saturated_for_any_of_500_seeds(
    activation: Literal["sigmoid", "relu"],
) -> None:
    # Before: 302 of 500 seeds drew |z₁| ≥ 3.5 (σ′ ≈ 0.03), seed 0's gradients were ~5e-4.
    for seed in range(500):
        net = module.draw(np.random.default_rng(seed), activation)
        hand = module.by_hand(net, activation)
        assert np.max(np.abs(hand["z₁"])) <= 2, seed
        assert max(float(np.abs(hand[n]).max()) for n in module.NAMES) >= 1e-2, seed


def test_seed_0_has_workable_sigmoid_gradients() -> None:
    demo = DEMO.run_with({"seed": 0, "activation": "sigmoid"})
    slope = next(s.value for s in demo.steps if s.label == "σ'(z₁)")
    assert np.all(np.asarray(slope) >= 0.1)  # σ′(±2) ≈ 0.105


def test_the_demo_runs_the_layer_ops_it_names(skew: Callable[..., None]) -> None:
    # Its rules are linear.vjp and mse_loss.vjp: the loss is built from the fused ops.
    skew(arith, "linear_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(HAND).passed
    assert not demo.check("analytic ∂L/∂W2 equals central differences").passed


def test_a_skewed_mse_rule_fails_every_gradient_check(skew: Callable[..., None]) -> None:
    skew(losses, "mse_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(HAND).passed
    assert not demo.check("analytic ∂L/∂b2 equals central differences").passed


def test_a_skewed_linear_rule_fails_the_second_layer_checks(
    skew: Callable[..., None],
) -> None:
    skew(arith, "linear_vjp")
    demo = DEMO.run_with({"seed": 0, "activation": "relu"})
    assert not demo.check("analytic ∂L/∂W2 equals central differences").passed
    assert not demo.check("analytic ∂L/∂b2 equals central differences").passed


def test_forgetting_the_activation_derivative_by_hand_fails_the_hand_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The classic slip on paper: δ₁ = W₂ᵀδ₂ without the ⊙ σ'(z₁).
    monkeypatch.setattr(module, "activation_slope", lambda z, h, act: np.ones_like(z))
    demo = DEMO.run_with({"seed": 0, "activation": "sigmoid"})
    assert not demo.check(HAND).passed
    assert demo.check("analytic ∂L/∂W1 equals central differences").passed


@pytest.mark.parametrize(
    "params", [{"activation": "tanh"}, {"seed": -1}, {"seed": 2**31}, {"hidden": 3}]
)
def test_out_of_range_params_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
