"""bce_logits_stability: the naive float32 formula overflows; a naive engine would fail."""

from __future__ import annotations

import numpy as np
import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import losses
from tests.standard.deck_mutations.losses import _bce_through_sigmoid

DEMO = get_demo("bce_logits_stability")


def test_the_planted_logits_cost_their_magnitude() -> None:
    demo = DEMO.run_with({"magnitude": 100.0, "seed": 0})
    values = {step.label: step.value for step in demo.steps}
    engine = np.asarray(values["engine's loss (float32)"])
    assert engine[:2] == pytest.approx([100.0, 100.0])
    assert np.isinf(np.asarray(values["naive loss through σ (float32)"])[0])
    assert demo.passed


def test_an_engine_computing_through_sigmoid_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        losses,
        "binary_cross_entropy_with_logits",
        _bce_through_sigmoid(losses.binary_cross_entropy_with_logits),
    )
    demo = DEMO.run_with({})
    assert not demo.check("engine's float32 BCE with logits equals").passed


def test_bce_on_a_saturated_sigmoid_has_a_finite_loss_and_zero_gradient() -> None:
    demo = DEMO.run_with({})
    values = {step.label: step.value for step in demo.steps}
    loss, grad = np.asarray(values["BCELoss(σ(30), 0): loss, ∂ℓ/∂x"])
    assert np.isfinite(loss) and loss > 80 and grad == 0
    assert demo.check("BCELoss on σ(x) at x = 30").passed
