"""reduction_lr: sum is B × mean, and a skewed sum rule fails."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import reduce

DEMO = get_demo("reduction_lr")


def test_sum_gradient_is_batch_times_mean() -> None:
    demo = DEMO.run_with({"batch": 5, "seed": 1})
    values = {step.label: step.value for step in demo.steps}
    np.testing.assert_allclose(
        np.asarray(values["∂L/∂W, 'sum'"]), 5 * np.asarray(values["∂L/∂W, 'mean'"])
    )


def test_a_skewed_sum_rule_fails(skew: Callable[..., None]) -> None:
    skew(reduce, "sum_vjp")
    assert not DEMO.run_with({}).check("∂L/∂W with 'sum' is B ×").passed
