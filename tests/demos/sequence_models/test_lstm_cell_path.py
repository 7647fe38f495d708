"""lstm_cell_path: ∂c_T/∂c_0 is the product of the forget gates, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("lstm_cell_path")


def test_a_larger_forget_bias_keeps_more_gradient() -> None:
    low = values(DEMO.run_with({"forget_bias": -1.0, "seed": 1}))["Π_t f_t (NumPy)"]
    high = values(DEMO.run_with({"forget_bias": 4.0, "seed": 1}))["Π_t f_t (NumPy)"]
    assert np.all(np.asarray(high) > 100 * np.asarray(low))


@pytest.mark.parametrize(
    ("bug", "claim"),
    [
        ("lstm_cell.forward:gate rows read as f, i, g, o", "the engine's (h_T, c_T)"),
        ("lstm_cell.forward:forget gate ignored: c' = c + i ⊙ g", "∂c_T/∂c_0 = Π_t f_t"),
        ("mul.vjp:each input gets g times itself", "∂c_T/∂c_0 = Π_t f_t"),
        ("sigmoid.vjp:σ′ = 1 − σ", "∂L/∂W_ih and ∂L/∂b_ih"),
    ],
)
def test_each_bug_fails_its_check(monkeypatch: pytest.MonkeyPatch, bug: str, claim: str) -> None:
    assert fails(with_bug(monkeypatch, "lstm_cell_path", bug), claim)
