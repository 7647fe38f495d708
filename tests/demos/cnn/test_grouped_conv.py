"""grouped_conv: separate convs, costs ÷ g, blocked gradients, and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("grouped_conv")


def test_known_counts() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    assert v["grouped multiply-adds"] == 36 * 6 * 2 * 9
    assert v["dense multiply-adds"] == 36 * 6 * 4 * 9


def test_a_wrong_count_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "grouped_conv", "conv2d.flops:kernel area k² forgotten")
    assert fails(demo, "multiply-adds: H·W·C_out·(C_in/g)·k²")


def test_a_skewed_forward_fails_the_separate_convs_check(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "grouped_conv", "conv2d.forward:output off by 1e-4")
    assert fails(demo, "the grouped conv equals g separate convs")


def test_a_skewed_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "grouped_conv", "conv2d.vjp:input 1's gradient off by 1e-4")
    assert fails(demo, "dX and dW match central differences")
