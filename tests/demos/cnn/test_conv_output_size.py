"""conv_output_size: the floor formula, same padding, and checks that can fail."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos.cnn import conv_output_size as module
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("conv_output_size")


def test_known_sizes() -> None:
    assert module.formula(9, 3, 2, 1, 2) == 4
    assert module.formula(10, 3, 2, 1, 2) == 4  # the floor drops the partial window
    assert module.formula(7, 3, 1, 0, 1) == 5
    demo = DEMO.run_with({"seed": 3})
    assert demo.passed and values(demo)["output side (engine)"] == 4


def test_one_window_short_fails_the_size_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "conv_output_size", "conv2d.output_size:the + 1 forgotten: one window short"
    )
    assert fails(demo, "the engine's output side", "over input sizes", "stride 1 with p")


def test_padding_on_one_side_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "conv_output_size", "conv2d.output_size:padding counted on one side only"
    )
    assert fails(demo, "the engine's output side", "over input sizes")


def test_a_flipped_kernel_fails_the_values_check(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "conv2d.forward:kernel rotated: convolution instead of cross-correlation"
    demo = with_bug(monkeypatch, "conv_output_size", bug)
    assert fails(demo, "the engine's values equal the window sums")
    assert demo.check("the engine's output side").passed


@pytest.mark.parametrize(
    "params", [{"size": 4}, {"kernel": 6}, {"size": 5, "kernel": 5, "dilation": 2, "padding": 0}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
