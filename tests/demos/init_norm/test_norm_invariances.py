"""norm_invariances: which norm ignores which transformation, and checks that can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.demos import get_demo
from app.demos.init_norm import norm_invariances as module  # registers it
from app.engine import norm

DEMO = get_demo("norm_invariances")


def test_rms_norm_is_not_shift_invariant() -> None:
    x = np.random.default_rng(0).standard_normal((3, 5))
    assert module.change(module.rms, x, x * 2.0) < 1e-10
    assert module.change(module.rms, x, x + 1.0) > 1e-2
    assert module.change(module.ln, x, x + 1.0) < 1e-10


def test_a_skewed_norm_rule_fails_every_gradcheck(skew: Callable[..., None]) -> None:
    skew(norm, "norm_vjp")
    demo = DEMO.run_with({"seed": 0})
    for name in ("batch norm", "layer norm", "RMS norm"):
        assert not demo.check(f"the engine's {name} gradients").passed
