"""batchnorm_backward: the mean terms, the coupling, and checks that can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import batchnorm_backward as module  # registers it
from app.engine import norm

DEMO = get_demo("batchnorm_backward")


def test_textbook_dx_sums_to_zero() -> None:
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    dx = module.textbook_dx(x, g, np.array([1.5, 0.5]))
    assert np.allclose(dx.sum(axis=0), 0.0)


def test_one_examples_gradient_reaches_the_others() -> None:
    demo = DEMO.run_with({"seed": 2, "batch": 4, "features": 2})
    dx_one = np.asarray(demo.steps[-1].value)
    assert np.all(np.abs(dx_one[1:]) > 0)


def test_dx_without_the_mean_terms_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = norm.norm_vjp

    def scaling_only(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
        grads = list(original(g, xs, out, ctx, need))
        grads[0] = g * xs[1].reshape(ctx.view) * ctx.inv_std
        return tuple(grads)

    monkeypatch.setattr(norm, "norm_vjp", scaling_only)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("the engine's dx equals").passed
    assert not demo.check("dx sums to zero").passed
    assert not demo.check("the mean terms matter").passed
    assert not demo.check("coupling").passed
    assert not demo.check("the engine's dx, dγ, dβ equal central differences").passed
