"""Focal loss −(1 − p_t)^γ log p_t: at γ = 0 it is binary cross-entropy; for γ > 0 an easy
example's loss is cut by ((1 − p_easy)/(1 − p_hard))^γ relative to a hard one's."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats, relative_difference, sigmoid
from app.demos.registry import register
from app.engine import Tensor, softplus
from app.engine import losses as L

EASY_P, HARD_P = 0.9, 0.1  # p_t of the two planted examples


class FocalLossParams(DemoParams):
    gamma: float = Field(default=2.0, ge=0.5, le=5.0, description="Focusing exponent γ.")
    batch: int = Field(default=8, ge=3, le=32, description="Examples (two are planted).")


def focal(z: Tensor, y: np.ndarray, gamma: float, reduction: str = "mean") -> Tensor:
    """Binary focal loss from logits: z_t = ±z, log p_t = −softplus(−z_t), 1 − p_t = σ(−z_t)."""
    z_t = z * (2 * y - 1)
    per = ((-z_t).sigmoid() ** gamma) * softplus(-z_t, threshold=float("inf"))
    return per.mean() if reduction == "mean" else per


def _grad(z_data: np.ndarray, y: np.ndarray, gamma: float) -> tuple[float, np.ndarray]:
    z = Tensor(z_data, requires_grad=True)
    loss = focal(z, y, gamma)
    loss.backward()
    assert z.grad is not None
    return float(loss.item()), z.grad


@register(
    "focal_loss",
    "Focal loss: γ turns down the easy examples",
    FocalLossParams,
    rules=("pow.vjp", "sigmoid.vjp", "softplus.vjp"),
)
@quiet_floats
def focal_loss(params: FocalLossParams) -> Demo:
    """Run the demo: focal loss against BCE, and what γ does to easy and hard examples."""
    rng = params.rng()
    gamma, n = params.gamma, params.batch
    logit = float(np.log(EASY_P / (1 - EASY_P)))  # p_t = 0.9 at z_t = log 9
    z_data = np.concatenate([[logit, -logit], np.round(rng.uniform(-4, 4, n - 2), 2)])
    y = np.concatenate([[1.0, 1.0], rng.integers(0, 2, n - 2).astype(np.float64)])
    sign = 2 * y - 1
    p_t = sigmoid(z_data * sign)

    _, g = _grad(z_data, y, gamma)
    loss0, g0 = _grad(z_data, y, 0.0)
    zb = Tensor(z_data, requires_grad=True)
    bce = L.binary_cross_entropy_with_logits(zb, y)
    bce.backward()
    assert zb.grad is not None
    analytic = sign * (1 - p_t) ** gamma * (gamma * p_t * np.log(p_t) + p_t - 1) / n

    per_focal = focal(Tensor(z_data), y, gamma, "none").data
    per_ce = focal(Tensor(z_data), y, 0.0, "none").data
    focal_ratio = per_focal[0] / per_focal[1]  # easy / hard
    ce_ratio = per_ce[0] / per_ce[1]
    predicted = ((1 - EASY_P) / (1 - HARD_P)) ** gamma
    grad_share_focal = abs(g[0]) / abs(g[1])
    grad_share_ce = abs(g0[0]) / abs(g0[1])
    checks = [
        Check.at_most(
            "at γ = 0 focal loss equals BCE with logits (value and gradient)",
            max(abs(loss0 - float(bce.item())), max_abs_difference(g0, zb.grad)),
            1e-12,
        ),
        Check.at_most(
            "engine's ∂FL/∂z equals ±(1 − p_t)^γ (γ p_t log p_t + p_t − 1)/n (relative error)",
            relative_difference(g, analytic),
            1e-10,
        ),
        Check.at_most(
            "forward values: the engine's focal loss cuts the easy example's loss, relative to "
            "the hard one's, by the modulating factors' ratio ((1 − 0.9)/(1 − 0.1))^γ "
            "(relative error; a check of the definition, not of a gradient)",
            abs(focal_ratio / ce_ratio - predicted) / predicted,
            1e-10,
        ),
        Check.at_most(
            "its share of the gradient shrinks too (focal |g_easy/g_hard| ÷ BCE's)",
            grad_share_focal / grad_share_ce,
            0.9,
        ),
        gradient_check(
            "analytic ∂FL/∂z equals central differences",
            lambda v: focal(v, y, gamma) * 10.0,
            [z_data],
            ["∂FL/∂z"],
        ),
    ]
    grid = np.linspace(0.01, 0.99, 25)
    zg = np.log(grid / (1 - grid))
    curves = [
        Series(
            f"γ = {gm:g}", grid.tolist(), focal(Tensor(zg), np.ones(25), gm, "none").data.tolist()
        )
        for gm in (0.0, 1.0, gamma)
    ]
    steps = [
        Step("z (logits)", z_data, note="row 0 easy (p_t = 0.9), row 1 hard (p_t = 0.1)"),
        Step("y", y),
        Step("p_t", p_t, r"p_t = \sigma(\pm z)"),
        Step("focal loss per example", per_focal, r"-(1-p_t)^\gamma \log p_t"),
        Step("cross-entropy per example", per_ce, r"-\log p_t"),
        Step("∂FL/∂z", g, r"\pm(1-p_t)^\gamma(\gamma p_t\log p_t + p_t - 1)/n"),
        Step("easy/hard loss ratio: focal, CE", f"{focal_ratio:.4g}, {ce_ratio:.4g}"),
    ]
    return Demo(
        name="focal_loss",
        title="Focal loss: γ turns down the easy examples",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[Chart("Loss of a positive example", "p_t", "loss", curves)],
        summary=(
            f"With γ = {gamma:g}, the easy example (p_t = 0.9) costs {focal_ratio:.3g}× the hard "
            f"one's loss instead of {ce_ratio:.3g}× under cross-entropy: a factor "
            f"(1/9)^γ = {predicted:.3g}."
        ),
    )
