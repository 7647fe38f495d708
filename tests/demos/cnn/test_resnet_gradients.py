"""resnet_gradients: plain stacks shrink the gradient, skips keep it, and checks that can fail."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("resnet_gradients")


def test_the_plain_factor_is_near_the_prediction() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    assert abs(float(v["plain: norm factor per layer"]) - math.sqrt(1 / 6)) < 0.1
    assert np.asarray(v["‖∂L/∂h_l‖ / ‖g‖, residual"]).min() > 0.9


@pytest.mark.parametrize(
    "bug",
    [
        "add.vjp:second input gets no gradient",
        "add.vjp:every input's gradient off by 1e-4",
        "conv2d.vjp:input 0's gradient off by 1e-4",
        "relu.vjp:every input's gradient off by 1e-4",
    ],
)
def test_each_bug_breaks_euler(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, "resnet_gradients", bug), "Euler's identity")


def test_no_relu_mask_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "resnet_gradients", "relu.vjp:no mask: the gradient passes everywhere"
    )
    assert fails(demo, "Euler's identity")
