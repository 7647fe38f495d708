"""dead_relu_stats: dead units found from their activity, with zero gradients."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "dead_relu_stats"
DEMO = get_demo(NAME)


def test_the_killed_units_are_found() -> None:
    demo = DEMO.run_with({"seed": 0, "units": 12, "dead": 3})
    v = values(demo)
    assert len(v["dead units found"]) == 3
    assert np.all(v["‖dW₁‖ per unit"][v["dead units found"]] == 0)
    assert demo.passed


def test_no_mask_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "relu.vjp:no mask: the gradient passes everywhere")
    assert fails(demo, "a dead unit's incoming weights")


def test_a_mean_bias_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "linear.vjp:db the batch mean of G, not its sum")
    assert fails(demo, "live units' gradients")
