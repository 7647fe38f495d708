"""likelihood_losses: the Gaussian constant, and MSE's ½ convention fails."""

from __future__ import annotations

import math

import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import losses
from tests.standard.mutation_kit import wrong_rule
from tests.standard.mutations import _mse_half_convention

DEMO = get_demo("likelihood_losses")


def test_nll_minus_scaled_mse_is_the_constant() -> None:
    demo = DEMO.run_with({"sigma": 2.0, "seed": 3})
    values = {step.label: step.value for step in demo.steps}
    gap = float(values["Gaussian NLL"]) - float(values["MSE"]) / 8
    assert gap == pytest.approx(math.log(2.0) + 0.5 * math.log(2 * math.pi))


def test_the_half_convention_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong_rule(losses, "mse_vjp", _mse_half_convention)(monkeypatch)
    demo = DEMO.run_with({})
    assert not demo.check("its gradient is the engine's MSE gradient").passed
    assert not demo.check("and has slope 2 around it").passed
