"""l1_sparsity: soft threshold, no zeros from subgradients or L2, and checks that can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.demos import get_demo
from app.demos.regularization import l1_sparsity
from app.engine import pointwise

DEMO = get_demo("l1_sparsity")


def test_the_soft_threshold_of_known_values() -> None:
    got = l1_sparsity.soft_threshold(np.array([-2.0, -0.5, 0.3, 1.5]), 1.0)
    assert np.array_equal(got, [-1.0, 0.0, 0.0, 0.5])


def test_the_proximal_solution_has_exact_zeros() -> None:
    demo = DEMO.run_with({"seed": 2})
    values = {step.label: step.value for step in demo.steps}
    a = np.asarray(values["a (the unpenalised optimum)"])
    prox = np.asarray(values["proximal descent result"])
    assert np.all(prox[np.abs(a) <= 0.5] == 0.0) and np.all(prox[np.abs(a) > 0.5] != 0.0)


def test_a_skewed_abs_rule_fails_the_subgradient_reference(skew: Callable[..., None]) -> None:
    skew(pointwise, "abs_vjp")
    assert not DEMO.run_with({"seed": 0}).check("subgradient descent with the engine").passed
