"""pre_post_ln: the top block's gradient against depth, and checks that can fail."""

from __future__ import annotations

from collections.abc import Callable

from app.demos import get_demo
from app.demos.init_norm import pre_post_ln  # noqa: F401  (registers it)
from app.engine import arith, norm

DEMO = get_demo("pre_post_ln")


def test_pre_ln_shrinks_with_depth_and_post_ln_does_not() -> None:
    demo = DEMO.run_with({"seed": 3, "depth": 16})
    post, pre = (float(v) for v in str(demo.steps[-1].value).split(", "))
    assert pre < 0.5 < post


def test_a_skewed_layer_norm_rule_fails_both_gradchecks(skew: Callable[..., None]) -> None:
    skew(norm, "norm_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("Post-LN (2 blocks)").passed
    assert not demo.check("Pre-LN (2 blocks)").passed


def test_a_skewed_linear_rule_fails_both_gradchecks(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("Post-LN (2 blocks)").passed


def test_post_ln_thresholds_separate_the_two_laws_at_the_smallest_depth() -> None:
    demo = DEMO.run_with({"seed": 0, "depth": 6})
    assert demo.passed
    post = demo.check("Post-LN: the top block's")
    assert post.measured > 1 / (6 + 1) ** 0.5 + 0.25  # a 1/√(L + 1) law would fall out
