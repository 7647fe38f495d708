"""gpt_block_cost: 12E² + 13E parameters, products forward and backward, about 6 per token."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("gpt_block_cost")


def test_parameters_at_width_32() -> None:
    assert (
        values(DEMO.run_with({"seed": 0, "head_dim": 16}))["parameters"] == 12 * 32 * 32 + 13 * 32
    )


def test_backward_counted_twice_fails_only_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "gpt_block_cost", "counters.flops:backward FLOPs counted twice")
    assert fails(demo, "backward products")
    assert demo.check("forward products").passed


def test_doubled_linear_count_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "counters.matmul_flops:linear: a multiply-add counted as 2 FLOPs"
    assert fails(with_bug(monkeypatch, "gpt_block_cost", bug), "forward products")
