"""mfu_estimate: the counters give 6·N·T training FLOPs and 8·N·T with recompute."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "mfu_estimate"
DEMO = get_demo(NAME)


def test_six_n_t() -> None:
    v = values(DEMO.run_with({"seed": 0, "width": 16, "layers": 3, "tokens": 8}))
    assert v["weights N (demo network)"] == 768
    assert v["training FLOPs"] == 6 * 768 * 8
    mfu = v["MFU"]
    assert 0.3 < mfu < 0.5  # 6·7e9·3000/312e12 ≈ 0.40, with measurement jitter


def test_backward_counted_twice_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "counters.flops:backward FLOPs counted twice")
    assert fails(demo, "backward: dX and dW", "training FLOPs")


def test_recompute_charged_to_backward_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "counters.flops:recompute charged to backward")
    assert fails(demo, "…of which the replay")
