"""Multi-label (a sigmoid per class, BCE) against multi-class (softmax, CE): sigmoid outputs are
independent (a diagonal Jacobian, rows need not sum to 1); softmax outputs compete (off-diagonal
−p_i p_j, rows sum to 1). BCE's 'mean' averages over all B·K entries."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats, sigmoid, softmax_rows
from app.demos.registry import register
from app.engine import Tensor, jacobian, softmax
from app.engine import losses as L


class MultiLabelParams(DemoParams):
    batch: int = Field(default=3, ge=1, le=8, description="Examples B.")
    classes: int = Field(default=4, ge=2, le=8, description="Classes (labels) K.")


@register(
    "multilabel_vs_multiclass",
    "Multi-label vs multi-class outputs",
    MultiLabelParams,
    rules=("softplus.vjp", "sigmoid.vjp", "softmax.vjp"),
)
@quiet_floats
def multilabel_vs_multiclass(params: MultiLabelParams) -> Demo:
    """Run the demo: per-class sigmoids with BCE against one softmax with CE."""
    rng = params.rng()
    B, K = params.batch, params.classes
    z_data = np.round(rng.normal(0.0, 2.0, (B, K)), 2)
    y = rng.integers(0, 2, (B, K)).astype(np.float64)
    y[0, :2] = 1.0  # at least one example with two labels at once
    z = Tensor(z_data, requires_grad=True)
    L.binary_cross_entropy_with_logits(z, y).backward()
    assert z.grad is not None
    s = sigmoid(z_data)
    jac_sigmoid = jacobian(lambda v: v.sigmoid(), z_data[0]).matrix
    jac_softmax = jacobian(lambda v: softmax(v), z_data[0]).matrix
    p0 = softmax_rows(z_data)[0]
    off = ~np.eye(K, dtype=bool)
    checks = [
        Check.at_most(
            "engine's BCE ∂L/∂Z equals (σ(Z) − Y)/(B·K): 'mean' over every entry",
            max_abs_difference(z.grad, (s - y) / (B * K)),
            1e-12,
        ),
        Check.at_most(
            "the sigmoid Jacobian is diagonal, σ(1 − σ) (largest error)",
            max_abs_difference(jac_sigmoid, np.diag(s[0] * (1 - s[0]))),
            1e-12,
        ),
        Check.at_most(
            "the softmax Jacobian is diag(p) − ppᵀ (largest error)",
            max_abs_difference(jac_softmax, np.diag(p0) - np.outer(p0, p0)),
            1e-12,
        ),
        Check.at_least(
            "softmax outputs compete: its largest off-diagonal |∂p_i/∂z_j|",
            float(np.max(np.abs(jac_softmax[off]))),
            1e-6,
        ),
        Check.at_least(
            "sigmoid rows need not sum to 1 (largest |Σ_k σ_k − 1|)",
            float(np.max(np.abs(s.sum(axis=1) - 1))),
            1e-3,
        ),
        gradient_check(
            "analytic ∂L/∂Z of BCE with logits equals central differences",
            lambda v: L.binary_cross_entropy_with_logits(v, y) * 10.0,
            [z_data],
            ["∂L/∂Z"],
        ),
    ]
    steps = [
        Step("Z (logits)", z_data, r"Z \in \mathbb{R}^{B\times K}"),
        Step("Y (multi-hot)", y, r"Y \in \{0,1\}^{B\times K}", "row 1 has two labels"),
        Step("σ(Z), per class", s, note=f"row sums {np.round(s.sum(axis=1), 3).tolist()}"),
        Step("softmax(Z), per row", softmax_rows(z_data), note="rows sum to 1"),
        Step("∂L/∂Z, BCE mean", z.grad, r"\frac{\sigma(Z) - Y}{BK}"),
        Step("sigmoid Jacobian, row 1", jac_sigmoid, r"\operatorname{diag}(\sigma(1-\sigma))"),
        Step("softmax Jacobian, row 1", jac_softmax, r"\operatorname{diag}(p) - pp^\top"),
    ]
    return Demo(
        name="multilabel_vs_multiclass",
        title="Multi-label vs multi-class outputs",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Row 1's sigmoids sum to {s[0].sum():.3f} and can put two labels near 1; its softmax "
            "sums to 1, so raising one class lowers the others (off-diagonal −p_i p_j)."
        ),
    )
