"""permutation_equivariance: shuffled tokens, shuffled outputs; positions break it."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("permutation_equivariance")


def test_the_permutation_is_not_the_identity() -> None:
    for seed in range(10):
        perm = values(DEMO.run_with({"seed": seed, "length": 3}))["permutation π"]
        assert not np.array_equal(perm, np.arange(3))


def test_interleaved_heads_fail_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "attention.heads:heads take interleaved features, not contiguous slices"
    demo = with_bug(monkeypatch, "permutation_equivariance", bug)
    assert fails(demo, "the layer's output equals the per-head reference")
    assert demo.check("no positions").passed  # equivariance survives a wrong head split
