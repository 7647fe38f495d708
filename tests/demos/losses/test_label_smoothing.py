"""label_smoothing: the confidence it trains toward, and a smoothing spread wrongly fails."""

from __future__ import annotations

import numpy as np
import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import losses
from tests.standard.deck_mutations.losses import _smoothing

DEMO = get_demo("label_smoothing")


def test_top_probability_is_one_minus_eps_plus_eps_over_k() -> None:
    demo = DEMO.run_with({"epsilon": 0.2, "classes": 4, "seed": 0})
    values = {step.label: step.value for step in demo.steps}
    assert values["top probability at z*"] == pytest.approx(0.85)
    assert values["target logit's lead at z*"] == pytest.approx(np.log(0.85 / 0.05))


@pytest.mark.parametrize("kind", ["others", "ignored"])
def test_a_wrong_smoothing_fails(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setattr(losses, "cross_entropy", _smoothing(kind)(losses.cross_entropy))
    demo = DEMO.run_with({})
    assert not demo.check("engine's ∂L/∂Z equals (P − Q)/B").passed
    assert not demo.check("at logits log Q the smoothed loss is at its minimum").passed
