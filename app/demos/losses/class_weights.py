"""Class weights against resampling: cross-entropy with weight k on a rare class (mean reduction,
which divides by Σ w[y_i]) is exactly plain cross-entropy on the data with each rare example
repeated k times, and it raises the rare class's share of the gradient."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats, softmax_rows
from app.demos.registry import register
from app.engine import Tensor
from app.engine import losses as L

CLASSES = 3
RARE = 2


class ClassWeightsParams(DemoParams):
    common: int = Field(default=10, ge=4, le=40, description="Examples of the two common classes.")
    rare: int = Field(default=2, ge=1, le=4, description="Examples of the rare class 2.")
    weight: int = Field(default=4, ge=2, le=10, description="Weight k of the rare class.")


def ce_value_grad(
    z_data: np.ndarray, labels: np.ndarray, weight: np.ndarray | None
) -> tuple[float, np.ndarray]:
    z = Tensor(z_data, requires_grad=True)
    loss = L.cross_entropy(z, labels, weight=weight)
    loss.backward()
    assert z.grad is not None
    return float(loss.item()), z.grad


@register(
    "class_weights",
    "Class weights and resampling: the same gradient",
    ClassWeightsParams,
    rules=("log_softmax.vjp", "getitem.vjp", "losses.weighted_mean"),
)
@quiet_floats
def class_weights(params: ClassWeightsParams) -> Demo:
    """Run the demo: weighted cross-entropy against repeating the rare examples."""
    rng = params.rng()
    k = params.weight
    labels = np.concatenate([rng.integers(0, RARE, params.common), np.full(params.rare, RARE)])
    n = labels.size
    z_data = np.round(rng.normal(0.0, 1.5, (n, CLASSES)), 2)
    w = np.ones(CLASSES)
    w[RARE] = k
    loss_w, g_w = ce_value_grad(z_data, labels, w)
    _, g_plain = ce_value_grad(z_data, labels, None)

    rare_rows = np.flatnonzero(labels == RARE)
    repeated = np.concatenate([np.arange(n), np.repeat(rare_rows, k - 1)])
    loss_r, g_r = ce_value_grad(z_data[repeated], labels[repeated], None)
    g_r_back = np.zeros_like(g_w)
    np.add.at(g_r_back, repeated, g_r)  # the copies' gradients, summed onto their original row

    p, y = softmax_rows(z_data), np.eye(CLASSES)[labels]
    row_w = w[labels]
    formula = row_w[:, None] * (p - y) / row_w.sum()

    def rare_share(g: np.ndarray) -> float:
        return float(np.abs(g[rare_rows]).sum() / np.abs(g).sum())

    checks = [
        Check.at_most(
            "engine's weighted ∂L/∂Z equals w[y_i](p_i − y_i)/Σ_j w[y_j]",
            max_abs_difference(g_w, formula),
            1e-12,
        ),
        Check.at_most(
            "weighted loss equals plain loss on the data with rare rows repeated k times",
            abs(loss_w - loss_r),
            1e-12,
        ),
        Check.at_most(
            "and so do the gradients (copies summed onto their row)",
            max_abs_difference(g_w, g_r_back),
            1e-12,
        ),
        Check.at_least(
            "the rare class's share of the gradient grows (weighted share − plain share)",
            rare_share(g_w) - rare_share(g_plain),
            1e-3,
        ),
        gradient_check(
            "analytic ∂L/∂Z of the weighted loss equals central differences",
            lambda v: L.cross_entropy(v, labels, weight=w),
            [z_data],
            ["∂L/∂Z"],
        ),
    ]
    steps = [
        Step("labels (class 2 is rare)", labels.astype(np.float64)),
        Step("class weights w", w),
        Step("Σ_i w[y_i] (the mean's denominator)", float(row_w.sum()), note=f"not n = {n}"),
        Step("∂L/∂Z, weighted", g_w, r"\frac{w_{y_i}(p_i - y_i)}{\sum_j w_{y_j}}"),
        Step("∂L/∂Z, repeated rows summed back", g_r_back),
        Step(
            "rare share of |∂L/∂Z|: plain, weighted",
            f"{rare_share(g_plain):.3f}, {rare_share(g_w):.3f}",
        ),
    ]
    return Demo(
        name="class_weights",
        title="Class weights and resampling: the same gradient",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Weight {k} on class 2 gives loss {loss_w:.4f}, the same as repeating its "
            f"{params.rare} example(s) {k} times ({loss_r:.4f}); the rare share of the gradient "
            f"goes from {rare_share(g_plain):.2f} to {rare_share(g_w):.2f}."
        ),
    )
