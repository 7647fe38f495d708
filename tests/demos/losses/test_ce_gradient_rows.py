"""ce_gradient_rows: (P − Y)/B's structure, and checks that can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import reduce

DEMO = get_demo("ce_gradient_rows")


def test_sum_is_batch_times_mean_and_rows_sum_to_zero() -> None:
    demo = DEMO.run_with({"batch": 5, "classes": 3, "seed": 2})
    values = {step.label: step.value for step in demo.steps}
    mean, total = np.asarray(values["∂L/∂Z (mean)"]), np.asarray(values["∂L/∂Z (sum)"])
    np.testing.assert_allclose(total, 5 * mean, rtol=1e-12)
    np.testing.assert_allclose(mean.sum(axis=1), 0, atol=1e-15)


def test_a_mean_without_its_one_over_n_fails(skew: Callable[..., None]) -> None:
    skew(reduce, "mean_vjp", 4.0)  # batch 4: as if the mean were a sum
    demo = DEMO.run_with({})
    assert not demo.check("engine's ∂L/∂Z equals (P − Y)/B").passed
    assert not demo.check("every entry is at most 1/B").passed


def test_a_log_softmax_without_its_coupling_term_fails_the_row_sums(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reduce, "log_softmax_vjp", lambda g, xs, out, ctx, need: (g * 1,))
    assert not DEMO.run_with({}).check("every row of ∂L/∂Z sums to zero").passed
