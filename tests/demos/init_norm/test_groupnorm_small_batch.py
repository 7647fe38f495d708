"""groupnorm_small_batch: group norm ignores the batch, its special cases, checks that fail."""

from __future__ import annotations

from collections.abc import Callable

from app.demos import get_demo
from app.demos.init_norm import groupnorm_small_batch  # noqa: F401  (registers it)
from app.engine import norm

DEMO = get_demo("groupnorm_small_batch")


def test_batch_norm_refuses_one_value_per_channel() -> None:
    demo = DEMO.run_with({"seed": 1})
    assert demo.check("batch norm in training refuses").measured == 1


def test_a_skewed_norm_rule_fails_the_gradcheck(skew: Callable[..., None]) -> None:
    skew(norm, "norm_vjp")
    assert not DEMO.run_with({"seed": 0}).check("the engine's group norm gradients").passed
