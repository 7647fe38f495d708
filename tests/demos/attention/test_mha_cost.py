"""mha_cost: exact parameter and multiply-add counts, and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("mha_cost")


def test_known_counts() -> None:
    v = values(DEMO.run_with({"seed": 0, "heads": 2, "head_dim": 4, "length": 6, "batch": 2}))
    assert v["parameters"] == 4 * 64 + 4 * 8
    assert v["linear FLOPs (counters)"] == 4 * 2 * 6 * 64 + 4 * 2 * 6 * 8
    assert v["matmul FLOPs (counters)"] == 2 * 2 * 36 * 8


def test_doubled_matmul_count_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "counters.matmul_flops:matmul: a multiply-add counted as 2 FLOPs"
    demo = with_bug(monkeypatch, "mha_cost", bug)
    assert fails(demo, "scores and weighted sum")
    assert demo.check("projections").passed


def test_interleaved_heads_fail_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "attention.heads:heads take interleaved features, not contiguous slices"
    assert fails(with_bug(monkeypatch, "mha_cost", bug), "the layer's output equals")
