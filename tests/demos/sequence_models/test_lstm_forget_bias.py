"""lstm_forget_bias: the forget gate is rows H:2H, and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from app.demos.sequence_models.common import sigmoid
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("lstm_forget_bias")


def test_a_bias_of_one_keeps_sigmoid_one_per_step() -> None:
    v = values(DEMO.run_with({"forget_bias": 1.0, "steps": 5, "hidden": 1}))
    assert v["σ(b_f) after setting the bias"] == pytest.approx(float(sigmoid(1.0)))
    assert float(v["∂c_T/∂c_0, bias set"][0]) == pytest.approx(float(sigmoid(1.0)) ** 5)


@pytest.mark.parametrize(
    ("bug", "claim"),
    [
        ("lstm_cell.forward:gate rows read as f, i, g, o", "∂c'/∂c is the forget gate"),
        ("lstm_cell.forward:h' = o ⊙ c' (tanh forgotten)", "one step equals"),
        ("mul.vjp:input 0's gradient off by 1e-4", "∂(Σc')/∂b_ih[H:2H]"),
    ],
)
def test_each_bug_fails_its_check(monkeypatch: pytest.MonkeyPatch, bug: str, claim: str) -> None:
    assert fails(with_bug(monkeypatch, "lstm_forget_bias", bug), claim)
