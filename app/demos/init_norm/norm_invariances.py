"""Card 9: batch norm, layer norm and RMS norm: what each normalises over, and what each is
invariant to.

On X (N × D): batch norm takes each feature's statistics over the N examples, layer norm each
example's over its D features, and RMS norm divides each example by its root mean square
without removing the mean. So batch norm forgets a per-feature shift and scale, layer norm a
per-example shift and scale, RMS norm only a per-example scale.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.init_norm.common import grad_of, gradcheck_all
from app.demos.registry import register
from app.engine import Tensor, batch_norm, layer_norm, rms_norm

EPS = 1e-12  # tiny, so the invariances are exact to rounding (ε breaks them by about ε/σ²)
INVARIANT = 1e-8
CHANGED = 1e-2


class NormInvariancesParams(DemoParams):
    batch: int = Field(default=4, ge=3, le=16, description="Examples N.")
    features: int = Field(default=6, ge=3, le=16, description="Features D.")


def bn(x: np.ndarray) -> np.ndarray:
    return batch_norm(Tensor(x), None, None, training=True, eps=EPS).data


def ln(x: np.ndarray) -> np.ndarray:
    return layer_norm(Tensor(x), x.shape[-1], eps=EPS).data


def rms(x: np.ndarray) -> np.ndarray:
    return rms_norm(Tensor(x), x.shape[-1], eps=EPS).data


def change(f: object, x: np.ndarray, moved: np.ndarray) -> float:
    """max |f(moved) − f(x)|."""
    assert callable(f)
    return float(np.max(np.abs(f(moved) - f(x))))


@register(
    "norm_invariances",
    "Batch, layer and RMS norm: their axes and invariances",
    NormInvariancesParams,
    rules=("batch_norm.vjp", "layer_norm.vjp", "rms_norm.vjp"),
)
def norm_invariances(params: NormInvariancesParams) -> Demo:
    """Run the demo: shift and scale X per feature and per example, see which norm notices."""
    rng = params.rng()
    n, d = params.batch, params.features
    x = rng.normal(1.0, 2.0, (n, d))
    col_scale, col_shift = rng.uniform(0.5, 3, d), rng.normal(0, 3, d)
    row_scale, row_shift = rng.uniform(0.5, 3, (n, 1)), rng.normal(0, 3, (n, 1))
    per_feature = x * col_scale + col_shift
    per_example = x * row_scale + row_shift
    per_example_scaled = x * row_scale

    g = rng.standard_normal((n, d))
    xt = Tensor(x, requires_grad=True)
    layer_norm(xt, d, eps=EPS).backward(gradient=g)
    dx_ln = grad_of(xt)
    xr = Tensor(x, requires_grad=True)
    rms_norm(xr, d, eps=EPS).backward(gradient=g)
    dx_rms = grad_of(xr)
    xhat_ln = ln(x)
    scale = float(np.max(np.abs(dx_ln)))

    def gamma_beta(k: int) -> list[np.ndarray]:
        return [rng.uniform(0.5, 2, k), rng.normal(0, 1, k)]

    bn_params, ln_params = gamma_beta(d), gamma_beta(d)
    rms_gamma = rng.uniform(0.5, 2, d)

    def bn_loss(x_: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return (batch_norm(x_, None, None, w, b, training=True, eps=1e-5) * Tensor(g)).sum()

    def ln_loss(x_: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return (layer_norm(x_, d, w, b) * Tensor(g)).sum()

    def rms_loss(x_: Tensor, w: Tensor) -> Tensor:
        return (rms_norm(x_, d, w, eps=1e-6) * Tensor(g)).sum()

    checks = [
        Check.at_most(
            "batch norm ignores a per-feature scale and shift (largest output change)",
            change(bn, x, per_feature),
            INVARIANT,
        ),
        Check.at_least(
            "batch norm notices a per-example shift (largest output change)",
            change(bn, x, x + row_shift),
            CHANGED,
        ),
        Check.at_most(
            "layer norm ignores a per-example scale and shift (largest output change)",
            change(ln, x, per_example),
            INVARIANT,
        ),
        Check.at_least(
            "layer norm notices a per-feature shift (largest output change)",
            change(ln, x, x + col_shift),
            CHANGED,
        ),
        Check.at_most(
            "RMS norm ignores a per-example scale (largest output change)",
            change(rms, x, per_example_scaled),
            INVARIANT,
        ),
        Check.at_least(
            "RMS norm notices a per-example shift: it removes no mean (largest output change)",
            change(rms, x, x + row_shift),
            CHANGED,
        ),
        Check.at_most(
            "layer norm's dx sums to zero over each example's features and is orthogonal to "
            "x̂ (largest |Σ dx| or |Σ dx·x̂| over |dx|)",
            max(
                float(np.max(np.abs(dx_ln.sum(axis=1)))),
                float(np.max(np.abs((dx_ln * xhat_ln).sum(axis=1)))),
            )
            / scale,
            1e-9,
        ),
        Check.at_most(
            "RMS norm's dx is orthogonal to x itself (largest |Σ dx·x| over |dx|·|x|)",
            float(np.max(np.abs((dx_rms * x).sum(axis=1))))
            / (float(np.max(np.abs(dx_rms))) * float(np.max(np.abs(x)))),
            1e-9,
        ),
        gradcheck_all(
            "the engine's batch norm gradients (x, γ, β) equal central differences",
            bn_loss,
            [x, *bn_params],
            ["∂L/∂x", "∂L/∂γ", "∂L/∂β"],
        ),
        gradcheck_all(
            "the engine's layer norm gradients (x, γ, β) equal central differences",
            ln_loss,
            [x, *ln_params],
            ["∂L/∂x", "∂L/∂γ", "∂L/∂β"],
        ),
        gradcheck_all(
            "the engine's RMS norm gradients (x, γ) equal central differences",
            rms_loss,
            [x, rms_gamma],
            ["∂L/∂x", "∂L/∂γ"],
        ),
    ]
    steps = [
        Step("X (N × D)", x, r"X \in \mathbb{R}^{N\times D}"),
        Step(
            "batch norm: statistics per feature, over the N rows",
            bn(x),
            r"\mu_j = \tfrac1N \textstyle\sum_i X_{ij}",
        ),
        Step(
            "layer norm: statistics per example, over the D columns",
            xhat_ln,
            r"\mu_i = \tfrac1D \textstyle\sum_j X_{ij}",
        ),
        Step(
            "RMS norm: each row over its root mean square",
            rms(x),
            r"\mathrm{rms}_i = \sqrt{\tfrac1D \textstyle\sum_j X_{ij}^2 + \epsilon}",
        ),
        Step("row sums of RMS norm's dx (not zero: no mean was removed)", dx_rms.sum(axis=1)),
    ]
    return Demo(
        name="norm_invariances",
        title="Batch, layer and RMS norm: their axes and invariances",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            "Batch norm's output did not move under a per-feature scale and shift, layer norm's "
            "not under a per-example scale and shift, RMS norm's only under a per-example scale; "
            "each noticed the transformations outside its invariance."
        ),
    )
