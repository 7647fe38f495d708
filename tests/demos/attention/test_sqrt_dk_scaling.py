"""sqrt_dk_scaling: the score spread, saturation and the checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("sqrt_dk_scaling")


def test_unscaled_std_is_near_sqrt_d() -> None:
    v = values(DEMO.run_with({"seed": 1, "dim": 1024}))
    assert 0.8 * np.sqrt(1024) < v["std of q·k, unscaled"] < 1.2 * np.sqrt(1024)
    assert v["mean entropy, scaled"] <= v["ln(keys)"]


def test_a_missing_scale_fails_the_default_scale_check(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "sqrt_dk_scaling", "attention.scale:scores not scaled (scale 1)")
    assert fails(demo, "SDPA's default scale is 1/√d_k")


def test_a_diagonal_only_softmax_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "sqrt_dk_scaling", "softmax.vjp:only the diagonal p ⊙ g")
    assert fails(demo, "the engine's softmax gradient")
