"""padding_mask: masked loss equals the unpadded sequences, h_n is not, and checks can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("padding_mask")


def test_the_mask_marks_each_length() -> None:
    v = values(DEMO.run_with({"batch": 4, "max_len": 10, "seed": 2}))
    mask, lengths = np.asarray(v["mask m (L × N)"]), np.asarray(v["lengths ℓ_n"])
    assert mask.sum(axis=0).tolist() == lengths.tolist() and lengths.max() == 10


@pytest.mark.parametrize(
    "bug", ["mul.vjp:input 0's gradient off by 1e-4", "mul.vjp:each input gets g times itself"]
)
def test_a_wrong_mask_gradient_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, "padding_mask", bug), "the masked batch loss")
