"""infonce: the gradient (P − I)V/(τB), and a skewed matmul rule fails."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import arith

DEMO = get_demo("infonce")


def test_shares_rise_as_temperature_falls() -> None:
    demo = DEMO.run_with({"seed": 3})
    shares = np.asarray({s.label: s.value for s in demo.steps}["mean hardest-negative share per τ"])
    assert np.all(np.diff(shares) > 0)


def test_a_skewed_matmul_rule_fails(skew: Callable[..., None]) -> None:
    skew(arith, "matmul_vjp")
    demo = DEMO.run_with({})
    assert not demo.check("engine's ∂L/∂U equals").passed
