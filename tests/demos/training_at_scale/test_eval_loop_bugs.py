"""eval_loop_bugs: train mode makes scores random; total_loss += loss keeps every graph."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "eval_loop_bugs"
DEMO = get_demo(NAME)


def test_train_mode_differs_and_eval_does_not() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    assert np.max(np.abs(v["train-mode scores, run 1"] - v["train-mode scores, run 2"])) > 0
    leak = v["bytes kept by total_loss after each batch"]
    assert leak.tolist() == [leak[0] * (i + 1) for i in range(len(leak))]
    assert not np.any(v["bytes kept with .item()"])


@pytest.mark.parametrize(
    "bug",
    [
        "dropout.eval_identity:eval mode still drops",
        "batch_norm.running_stats:new statistic off by 1e-4",
    ],
)
def test_a_broken_eval_mode_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, NAME, bug), "eval mode")
