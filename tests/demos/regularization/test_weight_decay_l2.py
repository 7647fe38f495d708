"""weight_decay_l2: SGD's decay is L2, Adam's is coupled, AdamW's is not; checks can fail."""

from __future__ import annotations

from typing import Any

import pytest

from app.demos import get_demo
from app.demos.regularization import weight_decay_l2  # noqa: F401  (registers it)
from app.engine.optim import SGD, Adam

DEMO = get_demo("weight_decay_l2")


def test_adamw_ends_away_from_adam_with_l2() -> None:
    demo = DEMO.run_with({"seed": 0})
    assert demo.passed
    assert float(demo.steps[-1].value) > 1e-3


def test_sgd_decay_with_the_half_slip_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = SGD._update

    def half(self: SGD, p: Any, grad: Any, state: Any, group: dict[str, Any]) -> None:
        return original(self, p, grad, state, {**group, "weight_decay": group["weight_decay"] / 2})

    monkeypatch.setattr(SGD, "_update", half)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("SGD(weight_decay=λ) follows SGD on loss").passed


def test_adam_decoupled_by_mistake_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Adam._update

    def decoupled(self: Adam, p: Any, grad: Any, state: Any, group: dict[str, Any]) -> None:
        return original(self, p, grad, state, {**group, "decoupled_weight_decay": True})

    monkeypatch.setattr(Adam, "_update", decoupled)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("Adam(weight_decay=λ) is coupled L2").passed
    assert not demo.check("AdamW's decoupled decay and Adam's L2 give different").passed
