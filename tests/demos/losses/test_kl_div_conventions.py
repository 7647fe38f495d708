"""kl_div_conventions: 'mean' is K times smaller, and a batchmean slip fails."""

from __future__ import annotations

import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import losses
from tests.standard.deck_mutations.losses import _kl

DEMO = get_demo("kl_div_conventions")


def test_mean_is_k_times_smaller_than_batchmean() -> None:
    demo = DEMO.run_with({"classes": 4, "seed": 1})
    values = {step.label: step.value for step in demo.steps}
    assert float(values["kl_div(log q, p, 'mean')"]) * 4 == pytest.approx(
        float(values["kl_div(log q, p, 'batchmean')"])
    )


@pytest.mark.parametrize("kind", ["batchmean_as_mean", "entropy_dropped"])
def test_a_kl_slip_fails(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setattr(losses, "kl_div", _kl(kind)(losses.kl_div))
    assert not DEMO.run_with({}).check("kl_div(log q, p, 'batchmean') equals").passed
