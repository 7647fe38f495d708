"""weight_sharing: dW is the sum of the untied copies' gradients; checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.cnn import weight_sharing as module
from tests.demos.mutated import fails, with_bug

DEMO = get_demo("weight_sharing")


def test_one_copy_is_an_outer_product() -> None:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    g = np.zeros((1, 1, 2, 2))
    g[0, 0, 1, 0] = 2.0
    copies = module.untied_gradients(x, g, 3)
    assert np.array_equal(copies[0, 1, 0, 0, 0], 2.0 * x[0, 0, 1:4, 0:3])
    assert not copies[0, 0, 0].any()


def test_dw_averaged_over_positions_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "weight_sharing", "conv2d.vjp:dW averaged over positions, not summed"
    )
    assert fails(demo, "dW = the sum of", "dW matches central differences")


def test_a_skewed_dw_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "weight_sharing", "conv2d.vjp:input 1's gradient off by 1e-4")
    assert fails(demo, "dW = the sum of", "a gradient at output", "dW matches central differences")
