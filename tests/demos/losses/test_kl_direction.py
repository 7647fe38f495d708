"""kl_direction: covering and seeking fits, and a broken exp rule fails."""

from __future__ import annotations

from collections.abc import Callable

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import pointwise

DEMO = get_demo("kl_direction")


def test_the_reverse_fit_sits_on_a_mode_and_the_forward_fit_between() -> None:
    demo = DEMO.run_with({"separation": 3.0, "seed": 0})
    values = {step.label: step.value for step in demo.steps}
    mu_rev = float(str(values["reverse-KL fit (μ, σ)"]).strip("()").split(", ")[0])
    mu_fwd = float(str(values["forward-KL fit (μ, σ)"]).strip("()").split(", ")[0])
    assert abs(abs(mu_rev) - 3.0) < 0.2 and abs(mu_fwd) < 1.5


def test_a_skewed_exp_rule_fails_the_gradcheck(skew: Callable[..., None]) -> None:
    skew(pointwise, "exp_vjp")
    assert not DEMO.run_with({}).check("analytic gradients of both KLs").passed
