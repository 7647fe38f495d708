"""overfit_one_batch: one batch memorised; reshuffled labels are not."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "overfit_one_batch"
DEMO = get_demo(NAME)


def test_the_loss_collapses_only_without_the_bug() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    assert v["loss at the end, correct loop"] < 0.05
    assert v["loss at the end, shuffled labels"] > 0.3


@pytest.mark.parametrize(
    "bug",
    [
        "relu.vjp:no mask: the gradient passes everywhere",
        "linear.vjp:input 0's gradient off by 1e-4",
    ],
)
def test_a_wrong_gradient_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, NAME, bug), "backward matches central differences")
