"""depth_variance: the three per-layer factors, and checks that can fail."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import depth_variance as module  # registers it
from app.engine import init, pointwise

DEMO = get_demo("depth_variance")


def test_factor_is_the_geometric_mean_per_layer() -> None:
    assert module.factor([1.0, 4.0, 16.0]) == pytest.approx(4.0)
    assert module.factor([0.0, 1.0]) == 0.0


def test_he_flat_small_vanishes_large_explodes() -> None:
    demo = DEMO.run_with({"seed": 4, "depth": 20, "width": 16})
    assert demo.passed
    assert demo.check("std 1: activations and gradients explode").measured >= 4.0


def test_he_without_its_gain_fails_the_flat_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    original = init._kaiming_std
    monkeypatch.setattr(init, "_kaiming_std", lambda t, a, m, nl: original(t, a, m, "linear"))
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("He: the activations' expected second moment stays flat").passed
    assert not demo.check("He: the gradients' expected second moment stays flat").passed


def test_mean_ratio_is_the_arithmetic_mean_of_layer_ratios() -> None:
    assert module.mean_ratio([1.0, 2.0, 1.0]) == pytest.approx(1.25)


@pytest.mark.parametrize("variance_times_n", [1.5, 2.6])
def test_a_thirty_percent_mis_scaled_he_fails_the_flat_checks(
    monkeypatch: pytest.MonkeyPatch, variance_times_n: float
) -> None:
    original = init._kaiming_std
    scale = math.sqrt(variance_times_n / 2)

    def mis_scaled(t: np.ndarray, a: float, m: str, nl: str) -> float | None:
        right = original(t, a, m, nl)
        return None if right is None else right * scale

    monkeypatch.setattr(init, "_kaiming_std", mis_scaled)
    for params in ({"seed": 0}, {"seed": 3, "depth": 10, "width": 16, "batch": 16}):
        demo = DEMO.run_with(params)
        assert not demo.check("He: the activations' expected second moment stays flat").passed
        assert not demo.check("He: the gradients' expected second moment stays flat").passed


def test_a_skewed_relu_rule_fails_the_gradcheck(skew: Callable[..., None]) -> None:
    skew(pointwise, "relu_vjp")
    assert not DEMO.run_with({"seed": 0}).check("the engine's gradients of a 3-layer").passed
