"""xavier_variance: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import xavier_variance as module  # registers it
from app.engine import arith, init

DEMO = get_demo("xavier_variance")


def test_the_factors_are_xaviers_compromise() -> None:
    demo = DEMO.run_with({"seed": 3, "fan_in": 16, "fan_out": 48})
    values = {step.label: step.value for step in demo.steps}
    assert values["Xavier Var(w)"] == pytest.approx(2 / 64)
    assert float(values["forward factor Var(y)/Var(x), measured"]) == pytest.approx(0.5, rel=0.2)
    assert float(values["backward factor Var(dX)/Var(G), measured"]) == pytest.approx(1.5, rel=0.2)


def test_gains_reads_the_frobenius_norm() -> None:
    w = np.arange(6.0).reshape(2, 3)
    assert module.gains(w) == (55 / 2, 55 / 3)


def test_a_skewed_linear_rule_fails_the_backward_formula(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    assert not DEMO.run_with({"seed": 0}).check("the engine's backward of y = xWᵀ + b").passed


def test_xavier_with_the_fan_in_only_fails_the_draw_check(monkeypatch: pytest.MonkeyPatch) -> None:
    original = init.xavier_normal_

    def fan_in_only(tensor: np.ndarray, gain: float = 1.0, generator: object = None) -> np.ndarray:
        out = original(tensor, gain, generator)  # type: ignore[arg-type]
        out *= np.sqrt((tensor.shape[0] + tensor.shape[1]) / (2 * tensor.shape[1]))
        return out

    monkeypatch.setattr(init, "xavier_normal_", fan_in_only)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("xavier_normal_ draws N(0, 2/(fan_in + fan_out))").passed
    assert not demo.check("Xavier: the mean of the measured").passed
