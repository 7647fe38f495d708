"""transposed_conv: coverage counts, the checkerboard ratio, the adjoint, and failing checks."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from app.demos.cnn import transposed_conv as module
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("transposed_conv")


def test_coverage_counts() -> None:
    assert module.coverage(3, 3, 2).tolist() == [1, 1, 2, 1, 2, 1, 1]
    assert module.coverage(3, 4, 2).tolist() == [1, 1, 2, 2, 2, 2, 1, 1]


@pytest.mark.parametrize(
    ("kernel", "stride", "ratio"), [(3, 2, 0.25), (4, 2, 1.0), (2, 3, 0.0), (5, 3, 0.25)]
)
def test_the_interior_ratio(kernel: int, stride: int, ratio: float) -> None:
    demo = DEMO.run_with({"seed": 0, "kernel": kernel, "stride": stride})
    assert demo.passed and values(demo)["interior min / max"] == ratio


def test_a_skewed_transposed_conv_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "transposed_conv", "conv_transpose2d.forward:output off by 1e-4")
    assert fails(demo, "a constant input comes out", "conv_transpose2d is conv2d's adjoint")


def test_a_flipped_conv_fails_the_adjoint(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "conv2d.forward:kernel rotated: convolution instead of cross-correlation"
    assert fails(
        with_bug(monkeypatch, "transposed_conv", bug), "conv_transpose2d is conv2d's adjoint"
    )
