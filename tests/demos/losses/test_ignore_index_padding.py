"""ignore_index_padding: zero gradient on padding, and counting padding fails."""

from __future__ import annotations

import numpy as np
import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import losses
from tests.standard.deck_mutations.losses import _nll

DEMO = get_demo("ignore_index_padding")


def test_padded_rows_have_zero_gradient() -> None:
    demo = DEMO.run_with({"seed": 4})
    values = {step.label: step.value for step in demo.steps}
    targets = np.asarray(values["targets (−100 = padding)"]).reshape(-1)
    grad = np.asarray(values["∂L/∂Z"])
    assert np.all(grad[targets == -100] == 0) and np.any(targets == -100)


@pytest.mark.parametrize("kind", ["pad_counted", "pad_as_class_0"])
def test_padding_counted_or_scored_fails(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setattr(losses, "nll_loss", _nll(kind)(losses.nll_loss))
    assert not DEMO.run_with({}).check("the loss equals cross-entropy over the real tokens").passed


def test_every_target_ignored_gives_nan_loss_and_zero_gradient() -> None:
    demo = DEMO.run_with({"seed": 2})
    values = {step.label: step.value for step in demo.steps}
    assert np.isnan(float(values["every target ignored: loss"]))
    assert np.all(np.asarray(values["every target ignored: ∂L/∂Z"]) == 0)


def test_a_nan_gradient_for_an_all_ignored_batch_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's old rule, total / count even at count 0, wrote NaN into every entry."""
    from tests.standard.deck_mutations.losses import _counted_mean_divided

    monkeypatch.setattr(losses, "_counted_mean", _counted_mean_divided(losses._counted_mean))
    demo = DEMO.run_with({})
    assert demo.check("every target ignored: the loss is NaN").passed
    assert not demo.check("every target ignored: the gradient is exactly zero").passed
