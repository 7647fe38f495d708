"""The terminal rendering of a demo."""

from __future__ import annotations

import numpy as np

from app.demos import get_demo
from app.demos.base import Check, Demo, Step
from app.demos.text import format_number, matrix_lines, render_text


def test_numbers_are_formatted_for_reading() -> None:
    assert format_number(3.0) == "3"
    assert format_number(-2) == "−2"
    assert format_number(0.123456) == "0.1235"
    assert format_number(2.8e-10, 3) == "2.8e−10"
    assert format_number(float("nan")) == "nan"
    assert format_number(float("-inf")) == "−∞"


def test_matrices_are_right_aligned_in_columns() -> None:
    assert matrix_lines(np.array([[1.0, -10.0], [100.0, 2.0]]), indent="") == [
        "[   1  −10 ]",
        "[ 100    2 ]",
    ]


def test_a_demo_renders_steps_and_check_verdicts() -> None:
    text = render_text(get_demo("linear_backward").run_with({"seed": 1}))
    assert "X  (4×3)" in text
    assert "[PASS] engine's dW equals the formula" in text
    assert text.endswith("all checks passed")


def test_a_failed_check_is_shouted() -> None:
    demo = Demo("d", "D", {}, steps=[Step("x", 1.0)], checks=[Check.at_most("c", 1.0, 0.1)])
    assert "[FAIL] c: measured 1, needs ≤ 0.1" in render_text(demo)
    assert render_text(demo).endswith("SOME CHECKS FAILED")
