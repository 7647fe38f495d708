"""attention_backward: the five-line derivation and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("attention_backward")


def test_ds_rows_sum_to_zero_and_shapes_fit() -> None:
    v = values(DEMO.run_with({"seed": 2, "queries": 4, "keys": 5, "dim": 3, "value_dim": 2}))
    assert v["dS = P ⊙ (dP − rowsum(dP ⊙ P))"].shape == (4, 5)
    np.testing.assert_allclose(v["dS = P ⊙ (dP − rowsum(dP ⊙ P))"].sum(axis=1), 0, atol=1e-12)
    assert v["dK = dSᵀ Q / √d"].shape == (5, 3)


def test_a_diagonal_only_softmax_rule_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "attention_backward", "softmax.vjp:only the diagonal p ⊙ g")
    assert fails(demo, "dQ from the engine", "dK from the engine", "the engine's gradients match")
    assert demo.check("dV from the engine").passed


def test_a_skewed_matmul_fails_central_differences(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "attention_backward", "matmul.vjp:every input's gradient off by 1e-4"
    )
    assert fails(demo, "the engine's gradients match central differences")
