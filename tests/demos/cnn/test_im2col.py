"""im2col: the matmul forms of conv2d and its gradients, and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("im2col")


def test_the_memory_blow_up_is_k_squared_with_same_padding() -> None:
    assert values(DEMO.run_with({"seed": 0}))["cols size / input size"] == pytest.approx(9.0)
    assert values(DEMO.run_with({"seed": 0, "kernel": 1}))[
        "cols size / input size"
    ] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("bug", "claim"),
    [
        ("conv2d.forward:output off by 1e-4", "conv2d(x, W) = W_mat · cols"),
        ("conv2d.vjp:input 1's gradient off by 1e-4", "dW = Σ_n G · colsᵀ"),
        ("conv2d.vjp:dX with the kernel not rotated by 180°", "dX = fold(W_matᵀ · G)"),
    ],
)
def test_each_bug_fails_its_check(monkeypatch: pytest.MonkeyPatch, bug: str, claim: str) -> None:
    assert fails(with_bug(monkeypatch, "im2col", bug), claim)
