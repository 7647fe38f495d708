"""conv_backward: dW, dX and db against the loops, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.cnn import conv_backward as module
from tests.demos.mutated import fails, with_bug

DEMO = get_demo("conv_backward")


def test_the_full_convolution_on_a_hand_example() -> None:
    # W = [[1, 10], [100, 1000]] on a 3×3 input with g = ones(2×2): pixel (u, v) collects every
    # weight that touched it, e.g. the centre all four (1111), a corner one.
    w = np.array([[1.0, 10.0], [100.0, 1000.0]]).reshape(1, 1, 2, 2)
    g = np.ones((1, 1, 2, 2))
    dx = module.reference_dx_full((1, 1, 3, 3), w, g, 1, 0)[0, 0]
    assert dx.tolist() == [[1.0, 11.0, 10.0], [101.0, 1111.0, 1010.0], [100.0, 1100.0, 1000.0]]
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    dw = module.reference_dw(x, g, 2, 1, 0)[0, 0]
    assert dw.tolist() == [[8.0, 12.0], [20.0, 24.0]]  # each weight saw four pixels


@pytest.mark.parametrize("stride", [1, 2])
def test_every_check_passes_with_stride(stride: int) -> None:
    assert DEMO.run_with({"seed": 1, "stride": stride, "padding": 0, "kernel": 3}).passed


def test_an_unrotated_kernel_fails_the_dx_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "conv_backward", "conv2d.vjp:dX with the kernel not rotated by 180°"
    )
    assert fails(demo, "dX equals the full convolution", "dX, dW, db match central differences")
    assert demo.check("dW equals the correlation").passed


def test_dw_averaged_over_positions_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "conv_backward", "conv2d.vjp:dW averaged over positions, not summed"
    )
    assert fails(demo, "dW equals the correlation", "dX, dW, db match central differences")


def test_a_skewed_bias_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "conv_backward", "conv2d.vjp:input 2's gradient off by 1e-4")
    assert fails(demo, "db equals", "dX, dW, db match central differences")
