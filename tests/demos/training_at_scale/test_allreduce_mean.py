"""allreduce_mean: the mean all-reduce equals one big batch; a sum is N times it."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "allreduce_mean"
DEMO = get_demo(NAME)


def test_sum_is_n_times_the_mean() -> None:
    demo = DEMO.run_with({"seed": 0, "replicas": 4})
    v = values(demo)
    np.testing.assert_allclose(v["dW, all-reduce sum"], 4 * v["dW, all-reduce mean"])
    assert demo.passed


def test_the_half_mse_convention_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "mse_loss.vjp:the ½ convention: (p − t)/n")
    assert fails(demo, "one big batch")


def test_a_mean_bias_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "linear.vjp:db the batch mean of G, not its sum")
    assert fails(demo, "one big batch")
