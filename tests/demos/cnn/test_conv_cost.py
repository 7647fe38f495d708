"""conv_cost: exact parameter and multiply-add counts, and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("conv_cost")


def test_known_counts() -> None:
    demo = DEMO.run_with({"seed": 0})
    v = values(demo)
    assert v["parameters"] == 224
    assert v["forward FLOPs (counters)"] == 27648 + 1024
    assert v["backward FLOPs (counters)"] == 2 * 27648 + 1024


@pytest.mark.parametrize(
    "bug",
    [
        "conv2d.flops:kernel area k² forgotten",
        "conv2d.flops:output positions forgotten: N·|W| multiply-adds",
        "conv2d.flops:one extra multiply-add per output",
    ],
)
def test_a_wrong_multiply_add_count_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    demo = with_bug(monkeypatch, "conv_cost", bug)
    assert fails(demo, "forward FLOPs", "backward FLOPs")


def test_backward_counted_twice_fails_only_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "conv_cost", "counters.flops:backward FLOPs counted twice")
    assert fails(demo, "backward FLOPs", "a first layer")
    assert demo.check("forward FLOPs").passed
