"""initial_state: a shared h_0's gradient is the batch sum, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("initial_state")


def test_the_shared_gradient_is_the_column_sum() -> None:
    v = values(DEMO.run_with({"batch": 6, "seed": 4}))
    per_seq = np.asarray(v["per-sequence ∂L/∂h_0 (N × H)"])
    np.testing.assert_allclose(
        v["∂L/∂h_0 of the shared vector (engine)"], per_seq.sum(axis=0), rtol=1e-12
    )


def test_a_skewed_broadcast_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "initial_state", "add.vjp:input 0's gradient off by 1e-4")
    assert fails(demo, "the shared h_0's gradient")


def test_a_wrong_tanh_rule_fails_the_bptt_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "initial_state", "tanh.vjp:tanh′ = 1 − t")
    assert fails(demo, "each sequence's ∂L/∂h_0")
