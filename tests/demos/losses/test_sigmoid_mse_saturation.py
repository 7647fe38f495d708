"""sigmoid_mse_saturation: known gradients, and each check can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import pointwise

DEMO = get_demo("sigmoid_mse_saturation")


def test_the_confident_mistake_gets_the_textbook_gradients() -> None:
    demo = DEMO.run_with({"confidence": 8.0, "batch": 3, "seed": 0})
    values = {step.label: step.value for step in demo.steps}
    s = 1 / (1 + np.exp(8.0))
    assert np.asarray(values["∂L/∂z, MSE on σ(z)"])[0] == pytest.approx(
        2 * (s - 1) * s * (1 - s) / 3
    )
    assert np.asarray(values["∂L/∂z, BCE with logits"])[0] == pytest.approx((s - 1) / 3)
    assert demo.passed


def test_a_skewed_sigmoid_rule_fails_the_formula_and_gradcheck(skew: Callable[..., None]) -> None:
    skew(pointwise, "sigmoid_vjp")
    demo = DEMO.run_with({})
    assert not demo.check("engine's MSE gradient equals").passed
    assert not demo.check("analytic ∂L/∂z of both losses").passed


def test_a_sigmoid_without_saturation_fails_the_mse_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if σ′ were a constant 1/4: MSE would no longer starve the confident mistake.
    monkeypatch.setattr(pointwise, "sigmoid_vjp", lambda g, xs, out, ctx, need: (g * 0.25,))
    assert not DEMO.run_with({}).check("MSE: the confidently wrong example").passed
