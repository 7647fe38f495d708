"""selective_checkpointing: checkpointing the attention core drops its n² buffers."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "selective_checkpointing"
DEMO = get_demo(NAME)


def test_memory_ordering() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    none, sel, full = (v[f"activation bytes kept, {s}"] for s in ("none", "selective", "full"))
    assert none - sel == v["n×n buffers (scores, probabilities)"] + 8  # + the 1/√d_h scalar
    assert full < sel < none
    assert v["recompute FLOPs, selective"] < v["recompute FLOPs, full"]


@pytest.mark.parametrize(
    "bug",
    [
        "checkpoint.recompute:segment keeps its intermediates",
        "checkpoint.recompute:replay gives parameters no .grad",
        "checkpoint.recompute:recompute charged to backward",
    ],
)
def test_a_broken_checkpoint_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert not with_bug(monkeypatch, NAME, bug).passed


def test_elements_instead_of_bytes_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "counters.saved:elements counted, not bytes")
    assert fails(demo, "selective drops exactly")
