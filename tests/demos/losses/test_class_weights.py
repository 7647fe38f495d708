"""class_weights: weights equal repetition, and dividing by N instead of Σw fails."""

from __future__ import annotations

import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import losses
from tests.standard.deck_mutations.losses import _nll

DEMO = get_demo("class_weights")


def test_the_denominator_is_the_summed_weight() -> None:
    demo = DEMO.run_with({"common": 6, "rare": 2, "weight": 3, "seed": 0})
    values = {step.label: step.value for step in demo.steps}
    assert values["Σ_i w[y_i] (the mean's denominator)"] == 6 + 2 * 3


def test_a_weighted_mean_over_n_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(losses, "nll_loss", _nll("weighted_by_n")(losses.nll_loss))
    demo = DEMO.run_with({})
    assert not demo.check("engine's weighted ∂L/∂Z equals").passed
    assert not demo.check("weighted loss equals plain loss").passed
