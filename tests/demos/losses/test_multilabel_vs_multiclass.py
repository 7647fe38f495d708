"""multilabel_vs_multiclass: BCE's mean over B·K, and a coupled sigmoid would fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import reduce

DEMO = get_demo("multilabel_vs_multiclass")


def test_sigmoid_jacobian_is_diagonal() -> None:
    demo = DEMO.run_with({"classes": 3, "seed": 2})
    jac = np.asarray({s.label: s.value for s in demo.steps}["sigmoid Jacobian, row 1"])
    assert np.count_nonzero(jac - np.diag(np.diag(jac))) == 0


def test_a_skewed_softmax_rule_fails(skew: Callable[..., None]) -> None:
    skew(reduce, "softmax_vjp")
    assert not DEMO.run_with({}).check("the softmax Jacobian is diag(p) − ppᵀ").passed
