"""output_activations: each matched pair gives prediction − target over n (2× for MSE)."""

from __future__ import annotations

from collections.abc import Callable

from app.engine import activations, losses, reduce
from tests.demos.activations._helpers import fails, run


def test_it_passes_and_softmax_rows_sum_to_one() -> None:
    demo = run("output_activations", batch=4, outputs=5)
    assert demo.passed and demo.check("softmax rows sum to 1").measured < 1e-12


def test_skewed_loss_rules_fail_their_checks(skew: Callable[..., None]) -> None:
    skew(losses, "mse_vjp")
    skew(activations, "softplus_vjp")
    skew(reduce, "log_softmax_vjp")
    assert fails(run("output_activations"), "regression", "multi-label", "one class of K")
