"""maxpool_backward: routing to the first maximum, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.cnn import maxpool_backward as module
from tests.demos.mutated import fails, with_bug

DEMO = get_demo("maxpool_backward")


def test_reference_routing_on_a_tied_window() -> None:
    x = np.array([[1.0, 3.0], [3.0, 2.0]]).reshape(1, 1, 2, 2)
    dx = module.reference_route(x, np.full((1, 1, 1, 1), 5.0), 2, 2)
    assert dx[0, 0].tolist() == [[0.0, 5.0], [0.0, 0.0]]  # the first 3 in row-major order


@pytest.mark.parametrize(("kernel", "stride"), [(2, 2), (3, 1), (3, 2), (2, 3)])
def test_every_check_passes_with_and_without_overlap(kernel: int, stride: int) -> None:
    assert DEMO.run_with({"seed": 1, "kernel": kernel, "stride": stride}).passed


@pytest.mark.parametrize(
    ("bug", "claims"),
    [
        ("max_pool2d.vjp:ties go to the last maximum", ("the engine's dX", "an all-tied window")),
        (
            "max_pool2d.vjp:every tied maximum gets the whole gradient",
            ("the engine's dX", "the gradient is conserved", "an all-tied window"),
        ),
        (
            "max_pool2d.vjp:gradient spread evenly over the window (average pooling's rule)",
            ("the engine's dX", "cells that are no window's maximum", "on an input without ties"),
        ),
        (
            "max_pool2d.vjp:every input's gradient off by 1e-4",
            ("the engine's dX", "on an input without ties"),
        ),
    ],
)
def test_each_bug_fails_its_checks(
    monkeypatch: pytest.MonkeyPatch, bug: str, claims: tuple[str, ...]
) -> None:
    assert fails(with_bug(monkeypatch, "maxpool_backward", bug), *claims)
