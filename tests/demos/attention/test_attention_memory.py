"""attention_memory: L² saved bytes, the online softmax, recomputation, and failing bugs."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.attention.attention_memory import online_softmax_attention
from app.demos.attention.common import reference_attention
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("attention_memory")


def test_online_softmax_with_one_key_per_tile() -> None:
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((5, 3)) for _ in range(3))
    out, largest = online_softmax_attention(q, k, v, 1)
    np.testing.assert_allclose(out, reference_attention(q, k, v)[0], rtol=1e-12)
    assert largest == 5


def test_the_square_part() -> None:
    v = values(DEMO.run_with({"seed": 0, "length": 16}))
    assert v["of which L×L matrices"] == 2 * 16 * 16 * 8


def test_doubly_counted_buffers_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "attention_memory", "counters.saved:shared buffers counted twice")
    assert fails(demo, "plain attention keeps 2·L² floats")


def test_a_checkpoint_that_keeps_intermediates_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "checkpoint.recompute:segment keeps its intermediates"
    assert fails(with_bug(monkeypatch, "attention_memory", bug), "the checkpointed segment keeps")


def test_a_replay_without_parameter_grads_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "checkpoint.recompute:replay gives parameters no .grad"
    assert fails(with_bug(monkeypatch, "attention_memory", bug), "nor the .grad of a weight")
