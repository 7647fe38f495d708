"""Label smoothing: the target becomes Q = (1 − ε)Y + ε/K, the gradient (P − Q)/B, and the
loss's minimum sits at finite logits where the top probability is 1 − ε + ε/K."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats, softmax_rows
from app.demos.registry import register
from app.engine import Tensor
from app.engine import losses as L


class LabelSmoothingParams(DemoParams):
    epsilon: float = Field(default=0.1, ge=0.01, le=0.5, description="Smoothing ε.")
    classes: int = Field(default=5, ge=2, le=10, description="Classes K.")
    batch: int = Field(default=3, ge=1, le=8, description="Examples B.")


def smoothed_grad(z_data: np.ndarray, labels: np.ndarray, eps: float) -> np.ndarray:
    z = Tensor(z_data, requires_grad=True)
    L.cross_entropy(z, labels, label_smoothing=eps).backward()
    assert z.grad is not None
    return z.grad


@register(
    "label_smoothing",
    "Label smoothing: target, gradient and the confidence it trains toward",
    LabelSmoothingParams,
    rules=("log_softmax.vjp", "sum.vjp", "losses.label_smoothing"),
)
@quiet_floats
def label_smoothing(params: LabelSmoothingParams) -> Demo:
    """Run the demo: the smoothed gradient, and where the smoothed loss has its minimum."""
    rng = params.rng()
    eps, K, B = params.epsilon, params.classes, params.batch
    z_data = np.round(rng.normal(0.0, 2.0, size=(B, K)), 2)
    labels = rng.integers(0, K, size=B)
    y = np.eye(K)[labels]
    q = (1 - eps) * y + eps / K
    p = softmax_rows(z_data)
    g = smoothed_grad(z_data, labels, eps)

    # The minimiser for one example: logits log q (any shift), so softmax = q exactly.
    z_star = np.log(q[:1])
    g_star = smoothed_grad(z_star, labels[:1], eps)
    g_plain = smoothed_grad(z_star, labels[:1], 0.0)
    gap = float(z_star[0, labels[0]] - np.delete(z_star[0], labels[0]).max())
    predicted_gap = float(np.log((1 - eps + eps / K) / (eps / K)))
    top = float(softmax_rows(z_star)[0].max())
    checks = [
        Check.at_most(
            "engine's ∂L/∂Z equals (P − Q)/B with Q = (1 − ε)Y + ε/K",
            max_abs_difference(g, (p - q) / B),
            1e-12,
        ),
        Check.at_most(
            "at logits log Q the smoothed loss is at its minimum (|∂L/∂z|)",
            float(np.max(np.abs(g_star))),
            1e-12,
        ),
        Check.at_most(
            "there the target logit leads by log((1 − ε + ε/K)/(ε/K)), a finite gap",
            abs(gap - predicted_gap),
            1e-12,
        ),
        Check.at_most(
            "and the top probability is 1 − ε + ε/K, not 1",
            abs(top - (1 - eps + eps / K)),
            1e-12,
        ),
        Check.at_most(
            "without smoothing the same logits still get a gradient pushing the target up "
            "(∂L/∂z_y, negative)",
            float(g_plain[0, labels[0]]),
            -1e-6,
        ),
        gradient_check(
            "analytic ∂L/∂Z of the smoothed loss equals central differences",
            lambda v: L.cross_entropy(v, labels, label_smoothing=eps),
            [z_data],
            ["∂L/∂Z"],
        ),
    ]
    steps = [
        Step("Z (logits)", z_data, r"Z \in \mathbb{R}^{B\times K}"),
        Step("Q (smoothed targets)", q, r"Q = (1-\varepsilon)Y + \varepsilon/K"),
        Step("P = softmax(Z)", p),
        Step("∂L/∂Z", g, r"\frac{\partial L}{\partial Z} = \frac{P - Q}{B}"),
        Step("the minimiser's logits z* = log q (row 1)", z_star, r"z^\star = \log q + c"),
        Step(
            "target logit's lead at z*",
            gap,
            r"\log\frac{1-\varepsilon+\varepsilon/K}{\varepsilon/K}",
        ),
        Step("top probability at z*", top, r"1 - \varepsilon + \varepsilon/K"),
    ]
    return Demo(
        name="label_smoothing",
        title="Label smoothing: target, gradient and the confidence it trains toward",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With ε = {eps:g} and K = {K} the target is {1 - eps + eps / K:.3f} on the label and "
            f"{eps / K:.3f} elsewhere; the loss is minimal when the label's logit leads by "
            f"{gap:.3f}, so confidence stops at {top:.3f} instead of growing without bound."
        ),
    )
