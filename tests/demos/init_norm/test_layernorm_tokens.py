"""layernorm_tokens: layer norm keeps each token to itself, batch norm does not."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.demos import get_demo
from app.demos.init_norm import layernorm_tokens as module  # registers it
from app.engine import norm

DEMO = get_demo("layernorm_tokens")


def test_batch_norm_over_tokens_mixes_the_batch() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    other = x.copy()
    other[1] += 5.0
    assert np.array_equal(module.ln_tokens(x)[0], module.ln_tokens(other)[0])
    assert not np.allclose(module.bn_tokens(x)[0], module.bn_tokens(other)[0])


def test_a_skewed_norm_rule_fails_the_gradchecks(skew: Callable[..., None]) -> None:
    skew(norm, "norm_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("the engine's layer norm gradients").passed
    assert not demo.check("the engine's batch norm gradient over tokens").passed
