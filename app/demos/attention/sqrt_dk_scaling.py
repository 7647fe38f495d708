"""Card 2: why attention divides the scores by √d_k.

With q, k ~ N(0, I_d), q·k has variance d: unscaled scores spread like √d, so as d grows most
softmax rows become nearly one-hot, their entropy collapses and their Jacobian
diag(p) − ppᵀ (what the gradient of the scores goes through) is nearly zero. Dividing by √d
keeps the score variance at 1 whatever d is.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import (
    EXACT,
    entropy,
    grad_of,
    np_softmax,
    reference_attention,
    relative_error,
)
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, scaled_dot_product_attention, softmax

ROWS = 64  # queries per measurement
CHART_DIMS = (4, 16, 64, 256, 1024)


class SqrtDkParams(DemoParams):
    keys: int = Field(default=8, ge=4, le=16, description="Keys per query (the softmax's size).")
    dim: int = Field(default=256, ge=256, le=1024, description="Key size d_k compared.")


def jacobian_norms(p: np.ndarray) -> np.ndarray:
    """‖diag(p) − ppᵀ‖_F of each row's softmax Jacobian."""
    s2 = (p**2).sum(axis=-1)
    return np.sqrt(np.maximum(s2 - 2 * (p**3).sum(axis=-1) + s2**2, 0.0))


def measure(rng: np.random.Generator, d: int, keys: int) -> dict[str, float]:
    """Score spread, entropy, saturation and Jacobian size, unscaled and scaled, at one d."""
    q, k = rng.standard_normal((ROWS, d)), rng.standard_normal((keys, d))
    raw = q @ k.T
    out: dict[str, float] = {"raw_std": float(raw.std())}
    for name, scores in (("raw", raw), ("scaled", raw / np.sqrt(d))):
        p = np_softmax(scores)
        out[f"{name}_entropy"] = float(entropy(p).mean())
        out[f"{name}_saturated"] = float((p.max(axis=-1) > 0.99).mean())
        out[f"{name}_jacobian"] = float(np.median(jacobian_norms(p)))
    out["scaled_std"] = float((raw / np.sqrt(d)).std())
    return out


@register(
    "sqrt_dk_scaling",
    "Why divide the scores by √d_k",
    SqrtDkParams,
    rules=("attention.scale", "softmax.vjp"),
)
def sqrt_dk_scaling(params: SqrtDkParams) -> Demo:
    """Run the demo: score spread, softmax entropy and Jacobian size against d, both scalings."""
    rng = params.rng()
    n, d = params.keys, params.dim
    at_d = measure(rng, d, n)
    curve = {dim: measure(rng, dim, n) for dim in CHART_DIMS}
    # The engine's own default scale: SDPA with scale=None against 1/√d by hand.
    q, k, v = rng.standard_normal((4, d)), rng.standard_normal((n, d)), rng.standard_normal((n, 3))
    sdpa = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v)).data
    expected, weights = reference_attention(q, k, v, scale=1 / np.sqrt(d))
    # The gradient through the softmax of the scores: p ⊙ (g − Σ p g), row by row.
    scores = Tensor((q @ k.T) / np.sqrt(d), requires_grad=True)
    g = rng.standard_normal(scores.shape)
    softmax(scores, axis=-1).backward(gradient=g)
    by_hand = weights * (g - (weights * g).sum(axis=-1, keepdims=True))
    checks = [
        Check.at_most(
            "SDPA's default scale is 1/√d_k (relative error against the reference)",
            relative_error(sdpa, expected),
            EXACT,
        ),
        Check.at_most(
            "the engine's softmax gradient equals p ⊙ (g − Σ p g) (relative error)",
            relative_error(grad_of(scores), by_hand),
            EXACT,
        ),
        Check.between(
            f"unscaled scores spread like √d: std(q·k)/√{d}", at_d["raw_std"] / np.sqrt(d), 0.7, 1.3
        ),
        Check.between("scaled scores have std about 1", at_d["scaled_std"], 0.7, 1.3),
        Check.at_most(
            "unscaled softmax entropy over scaled entropy (mean over rows)",
            at_d["raw_entropy"] / at_d["scaled_entropy"],
            0.5,
        ),
        Check.at_least(
            "share of unscaled rows that are nearly one-hot (max p > 0.99)",
            at_d["raw_saturated"],
            0.3,
        ),
        Check.at_most(
            "share of scaled rows that are nearly one-hot", at_d["scaled_saturated"], 0.1
        ),
        Check.at_most(
            "median softmax Jacobian ‖diag(p) − ppᵀ‖: unscaled over scaled",
            at_d["raw_jacobian"] / max(at_d["scaled_jacobian"], 1e-300),
            0.75,
        ),
    ]
    dims = [float(x) for x in CHART_DIMS]
    charts = [
        Chart(
            "Softmax entropy (nats) against d",
            "d_k",
            "mean entropy",
            [
                Series("QKᵀ (unscaled)", dims, [curve[x]["raw_entropy"] for x in CHART_DIMS]),
                Series("QKᵀ/√d_k", dims, [curve[x]["scaled_entropy"] for x in CHART_DIMS]),
            ],
            log_x=True,
            y_from_zero=True,
        ),
        Chart(
            "Median softmax Jacobian norm against d",
            "d_k",
            "‖diag(p) − ppᵀ‖",
            [
                Series("QKᵀ (unscaled)", dims, [curve[x]["raw_jacobian"] for x in CHART_DIMS]),
                Series("QKᵀ/√d_k", dims, [curve[x]["scaled_jacobian"] for x in CHART_DIMS]),
            ],
            log_x=True,
            y_from_zero=True,
        ),
    ]
    steps = [
        Step("std of q·k, unscaled", at_d["raw_std"], r"\sqrt{d_k}\ \text{expected}"),
        Step("std of q·k/√d_k", at_d["scaled_std"]),
        Step("mean entropy, unscaled", at_d["raw_entropy"]),
        Step("mean entropy, scaled", at_d["scaled_entropy"], r"\le \ln n"),
        Step("ln(keys)", float(np.log(n))),
        Step("nearly one-hot rows, unscaled", at_d["raw_saturated"]),
        Step("median Jacobian norm, unscaled", at_d["raw_jacobian"]),
        Step("median Jacobian norm, scaled", at_d["scaled_jacobian"]),
        Step("weights of 4 queries (scaled)", weights),
    ]
    return Demo(
        name="sqrt_dk_scaling",
        title="Why divide the scores by √d_k",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"At d_k = {d} unscaled scores had std {at_d['raw_std']:.1f} (√d = {np.sqrt(d):.0f}); "
            f"{at_d['raw_saturated']:.0%} of the softmax rows were nearly one-hot and their "
            f"entropy fell to {at_d['raw_entropy']:.2f} nats against "
            f"{at_d['scaled_entropy']:.2f} with the 1/√d_k scale, which kept the std at "
            f"{at_d['scaled_std']:.2f}."
        ),
    )
