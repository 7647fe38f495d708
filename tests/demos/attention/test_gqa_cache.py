"""gqa_cache: grouped heads, summed gradients of shared heads, and the cache saving."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("gqa_cache")


def test_mqa_saves_the_number_of_heads() -> None:
    v = values(DEMO.run_with({"seed": 0, "kv_heads": 1, "group": 4}))
    assert v["cache bytes per token, MHA"] / v["cache bytes per token, GQA"] == 4
    assert list(v["K/V head read by each query head"]) == [0, 0, 0, 0]


def test_overwritten_repeats_fail_the_shared_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "getitem.vjp:repeated indices overwrite instead of adding"
    demo = with_bug(monkeypatch, "gqa_cache", bug)
    assert fails(demo, "a shared K head gets the sum", "and so does a shared V head")
