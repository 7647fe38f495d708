"""temperature_scaling: accuracy unchanged, ECE computed, and a skewed mul rule fails."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.demos.losses.temperature_scaling import ece
from app.engine import arith

DEMO = get_demo("temperature_scaling")


def test_ece_of_a_known_table() -> None:
    # Two predictions at confidence 0.9 (one right), two at 0.6 (both right).
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    value, _, _ = ece(probs, np.array([0, 1, 0, 0]))
    assert value == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)


def test_a_skewed_mul_rule_fails_the_slope_check(skew: Callable[..., None]) -> None:
    skew(arith, "mul_vjp")
    assert not DEMO.run_with({}).check("engine's dNLL/dβ at β = 1").passed
