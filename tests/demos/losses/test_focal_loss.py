"""focal_loss: the (1/9)^γ ratio, and a skewed pow rule fails."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import arith

DEMO = get_demo("focal_loss")


def test_easy_over_hard_is_cut_by_one_ninth_to_the_gamma() -> None:
    demo = DEMO.run_with({"gamma": 2.0, "seed": 1})
    values = {step.label: step.value for step in demo.steps}
    focal, ce = (float(v) for v in str(values["easy/hard loss ratio: focal, CE"]).split(", "))
    assert focal / ce == pytest.approx(1 / 81, rel=1e-3)


def test_a_skewed_pow_rule_fails(skew: Callable[..., None]) -> None:
    skew(arith, "pow_vjp")
    demo = DEMO.run_with({})
    assert not demo.check("engine's ∂FL/∂z equals").passed
    assert not demo.check("analytic ∂FL/∂z equals central differences").passed
