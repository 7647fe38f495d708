"""causal_mask: -inf before the softmax, both boolean conventions, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("causal_mask")


def test_weights_are_lower_triangular_rows_of_one() -> None:
    v = values(DEMO.run_with({"seed": 3}))
    w = v["attention weights"]
    assert np.all(np.triu(w, k=1) == 0.0)
    np.testing.assert_allclose(v["row sums"], 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "bug",
    [
        "attention.causal_mask:the diagonal masked too: a token cannot see itself",
        "attention.causal_mask:one future key left visible",
    ],
)
def test_a_wrong_causal_mask_fails_the_reference(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, "causal_mask", bug), "is_causal output equals")


def test_a_visible_future_moves_the_past(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "causal_mask", "attention.causal_mask:one future key left visible")
    assert fails(demo, "changing tokens after", "no gradient from output")


def test_each_flipped_convention_fails_its_own_check(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "causal_mask", "attention.mask_convention:SDPA reads True as blocked"
    )
    assert fails(demo, "SDPA with a boolean tril mask")
    assert demo.check("MultiheadAttention with a boolean triu mask").passed


def test_mha_convention_flipped_fails_the_mha_check(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "attention.mask_convention:MultiheadAttention reads True as allowed"
    demo = with_bug(monkeypatch, "causal_mask", bug)
    assert fails(demo, "MultiheadAttention with a boolean triu mask")
    assert demo.check("SDPA with a boolean tril mask").passed
