"""separable_conv: counted savings 1/C_out + 1/k², and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("separable_conv")


def test_known_counts() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    assert v["standard conv multiply-adds"] == 64 * 8 * 16 * 9
    assert v["depthwise multiply-adds"] == 64 * 8 * 9
    assert v["pointwise multiply-adds"] == 64 * 8 * 16
    assert v["separable / standard"] == pytest.approx(1 / 16 + 1 / 9)


def test_a_count_without_the_kernel_area_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "separable_conv", "conv2d.flops:kernel area k² forgotten")
    assert fails(demo, "standard conv", "depthwise conv", "separable / standard")


def test_a_flipped_kernel_fails_the_depthwise_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "conv2d.forward:kernel rotated: convolution instead of cross-correlation"
    demo = with_bug(monkeypatch, "separable_conv", bug)
    assert fails(demo, "the depthwise conv filters each channel alone")


def test_a_skewed_forward_fails_the_matmul_check(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "separable_conv", "conv2d.forward:output off by 1e-4")
    assert fails(demo, "a 1×1 conv is a matrix product")
