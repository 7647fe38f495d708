"""attention_dropout: one draw against its reference, the mean of many, eval mode."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("attention_dropout")


def test_dropped_weights_are_zero_or_scaled() -> None:
    v = values(DEMO.run_with({"seed": 0, "p": 0.5}))
    ratio = v["dropped weights P ⊙ mask/(1 − p)"] / v["weights P = softmax(QKᵀ/√d)"]
    assert set(ratio.round(12).ravel()) <= {0.0, 2.0}


def test_unscaled_dropout_fails_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "attention.dropout:kept weights not scaled by 1/(1 − p)"
    assert fails(with_bug(monkeypatch, "attention_dropout", bug), "one draw equals")


def test_eval_that_keeps_dropout_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "attention_dropout", "attention.dropout:eval() leaves dropout on")
    assert fails(demo, "after eval()")
    assert demo.check("one draw equals").passed
