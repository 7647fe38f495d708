"""flat_loss_bugs: missing zero_grad, wrong sign and detach, each with its symptom."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "flat_loss_bugs"
DEMO = get_demo(NAME)


def test_symptoms() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    start = v["loss at the start"]
    assert v["loss at the end: correct"] < start < v["loss at the end: wrong sign"]
    first, second = v["‖.grad‖ after 1 and 2 backwards without zero_grad"]
    assert second == pytest.approx(2 * first)


def test_overwriting_grad_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "autograd.accumulate:overwrite .grad")
    assert fails(demo, "no zero_grad")
