"""receptive_field: the formula, measured extents, and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from app.demos.cnn import receptive_field as module
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("receptive_field")


def test_known_fields() -> None:
    assert module.formula([(3, 1, 1)] * 3) == [3, 5, 7]  # stride 1: 2L + 1
    assert module.formula([(3, 2, 1), (3, 2, 1), (3, 1, 1)]) == [3, 7, 15]
    assert module.formula([(3, 1, 2)]) == [5]  # dilation 2 spans 5
    demo = DEMO.run_with({"seed": 2})
    assert values(demo)["receptive field measured (gradient extent)"].tolist() == [3, 7, 15]


def test_a_dilated_last_layer_with_gaps_still_has_the_formula_extent() -> None:
    assert DEMO.run_with({"seed": 0, "kernel": 2, "dilation": 2, "depth": 4}).passed


def test_a_skewed_input_gradient_fails_the_difference_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = with_bug(monkeypatch, "receptive_field", "conv2d.vjp:input 0's gradient off by 1e-4")
    assert fails(demo, "the input gradient matches central differences")


def test_an_unrotated_kernel_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "receptive_field", "conv2d.vjp:dX with the kernel not rotated by 180°"
    )
    assert fails(demo, "the input gradient matches central differences")
