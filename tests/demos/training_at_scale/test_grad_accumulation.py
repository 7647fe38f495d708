"""grad_accumulation: exact with the global token count, not with per-micro-batch means."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "grad_accumulation"
DEMO = get_demo(NAME)


def test_token_counts_differ() -> None:
    v = values(DEMO.run_with({"seed": 0, "micro_batches": 3, "tokens": 6}))
    assert v["real tokens per micro-batch T_i"].tolist() == [6, 5, 4]
    assert v["real tokens in the batch T"] == 15


def test_overwriting_grad_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "autograd.accumulate:overwrite .grad")
    assert fails(demo, "accumulating Σ token losses")


def test_a_wrong_weight_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "linear.vjp:input 1's gradient off by 1e-4")
    assert fails(demo, "the full batch's dW")
