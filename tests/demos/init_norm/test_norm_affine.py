"""norm_affine: γ and β can undo the normalisation, and the checks can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import norm_affine  # noqa: F401  (registers it)
from app.engine import norm

DEMO = get_demo("norm_affine")


def test_the_identity_is_recovered() -> None:
    demo = DEMO.run_with({"seed": 4, "batch": 5, "features": 2})
    values = {step.label: step.value for step in demo.steps}
    x = np.asarray(values["x (m × C)"])
    assert np.allclose(np.asarray(values["γ x̂ + β with γ = √(σ² + ε), β = μ"]), x)


def test_dgamma_as_sum_g_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = norm.norm_vjp

    def wrong(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
        grads = list(original(g, xs, out, ctx, need))
        if ctx.has_weight:
            grads[1] = norm._to_params(g, ctx)
        return tuple(grads)

    monkeypatch.setattr(norm, "norm_vjp", wrong)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("dγ = Σ g·x̂ and dβ = Σ g").passed
    assert not demo.check("the engine's ∂L/∂x, ∂L/∂γ, ∂L/∂β").passed


def test_eval_mode_ignoring_the_running_statistics_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.demos.init_norm.norm_affine as module

    original = module.batch_norm

    def batch_stats_always(x: Any, rm: Any, rv: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["training"] = True
        return original(x, None, None, *args, **kwargs)

    monkeypatch.setattr(module, "batch_norm", batch_stats_always)
    assert not DEMO.run_with({"seed": 0}).check("evaluation mode, γ = √(v̂ + ε)").passed
