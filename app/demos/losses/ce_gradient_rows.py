"""The softmax cross-entropy gradient (P − Y)/B: each row sums to zero, only the target entry is
negative, every entry is bounded by 1/B, 'sum' is B times 'mean', and a shift of a row's logits
changes nothing."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference, shape_text
from app.demos.losses.common import gradient_check, quiet_floats, relative_difference, softmax_rows
from app.demos.registry import register
from app.engine import Tensor
from app.engine import losses as L


class CeGradientRowsParams(DemoParams):
    batch: int = Field(default=4, ge=1, le=16, description="Examples B (rows of Z).")
    classes: int = Field(default=5, ge=2, le=10, description="Classes K (columns of Z).")


def ce_grad(z_data: np.ndarray, labels: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """∂L/∂Z of the engine's cross-entropy under `reduction`."""
    z = Tensor(z_data, requires_grad=True)
    L.cross_entropy(z, labels, reduction=reduction).backward()
    assert z.grad is not None
    return z.grad


@register(
    "ce_gradient_rows",
    "What the cross-entropy gradient P − Y looks like",
    CeGradientRowsParams,
    rules=("log_softmax.vjp", "getitem.vjp", "mean.vjp"),
)
@quiet_floats
def ce_gradient_rows(params: CeGradientRowsParams) -> Demo:
    """Run the demo: the structure of (P − Y)/B, and 'sum' against 'mean'."""
    rng = params.rng()
    B, K = params.batch, params.classes
    z_data = np.round(rng.normal(0.0, 2.0, size=(B, K)), 2)
    labels = rng.integers(0, K, size=B)
    y = np.eye(K)[labels]
    p = softmax_rows(z_data)
    g = ce_grad(z_data, labels)
    g_sum = ce_grad(z_data, labels, "sum")
    shift = rng.normal(0.0, 5.0, size=(B, 1))
    g_shifted = ce_grad(z_data + shift, labels)
    # "Whatever the logits": the same rows scaled ×50, saturated softmax rows, confident and wrong.
    g_saturated = ce_grad(z_data * 50.0, labels)
    others = ~y.astype(bool)
    target_entries = g[np.arange(B), labels]
    checks = [
        Check.at_most("engine's ∂L/∂Z equals (P − Y)/B", max_abs_difference(g, (p - y) / B), 1e-12),
        Check.at_most(
            "every row of ∂L/∂Z sums to zero (largest |row sum|·B)",
            float(np.max(np.abs(g.sum(axis=1)))) * B,
            1e-12,
        ),
        Check.equal(
            "only the target entry is negative (entries of the wrong sign)",
            int(np.sum(target_entries >= 0) + np.sum(g[others] <= 0)),
            0,
        ),
        Check.at_most(
            "every entry is at most 1/B in size, also with the logits scaled ×50 to saturate "
            "the softmax (largest |entry|·B over both)",
            float(max(np.max(np.abs(g)), np.max(np.abs(g_saturated)))) * B,
            1.0,
        ),
        Check.at_most(
            "reduction='sum' gives B × the 'mean' gradient (relative error)",
            relative_difference(g_sum, g * B),
            1e-12,
        ),
        Check.at_most(
            "adding a constant to a row's logits leaves the gradient unchanged",
            max_abs_difference(g_shifted, g),
            1e-12,
        ),
        gradient_check(
            "analytic ∂L/∂Z equals central differences",
            lambda v: L.cross_entropy(v, labels),
            [z_data],
            ["∂L/∂Z"],
        ),
    ]
    steps = [
        Step("Z (logits)", z_data, r"Z \in \mathbb{R}^{B\times K}", shape_text(z_data.shape)),
        Step("labels", labels.astype(np.float64)),
        Step("P = softmax(Z)", p, r"P_{ik} = e^{Z_{ik}}/\sum_j e^{Z_{ij}}"),
        Step("∂L/∂Z (mean)", g, r"\frac{\partial L}{\partial Z} = \frac{P - Y}{B}", "B×K like Z"),
        Step("row sums of ∂L/∂Z", g.sum(axis=1), r"\sum_k (P_{ik} - Y_{ik}) = 1 - 1 = 0"),
        Step("∂L/∂Z (sum)", g_sum, r"P - Y", "no 1/B: B times larger"),
    ]
    return Demo(
        name="ce_gradient_rows",
        title="What the cross-entropy gradient P − Y looks like",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Row 1 (label {labels[0]}): the target entry is −(1 − p) = "
            f"{target_entries[0] * B:.3f} "
            f"(before the 1/B), the others are +p, and the row sums to "
            f"{g[0].sum() * B:.1e}; 'sum' is exactly {B}× 'mean'."
        ),
    )
