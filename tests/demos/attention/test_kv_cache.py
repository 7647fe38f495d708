"""kv_cache: decoding with a cache equals causal attention; bytes and FLOPs per step."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("kv_cache")


def test_bytes_per_token() -> None:
    v = values(DEMO.run_with({"seed": 0, "tokens": 5, "heads": 3, "head_dim": 4}))
    assert v["bytes per token per layer (float64)"] == 2 * 3 * 4 * 8
    assert v["same in float16"] == 2 * 3 * 4 * 2


@pytest.mark.parametrize(
    "bug",
    [
        "attention.causal_mask:one future key left visible",
        "attention.causal_mask:the past masked instead of the future",
    ],
)
def test_a_wrong_mask_breaks_the_equivalence(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, "kv_cache", bug), "decoding with the cache equals")


def test_a_wrong_matmul_count_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "kv_cache", "counters.matmul_flops:matmul not counted")
    assert fails(demo, "step", "the whole decode")
