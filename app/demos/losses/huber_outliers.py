"""Huber / smooth L1 and outliers: the gradient is the residual clipped to ±δ, so one outlier
pulls a fitted location by a bounded amount, while under MSE its pull grows with its size."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats
from app.demos.registry import register
from app.engine import Tensor, mse_loss
from app.engine import losses as L


class HuberParams(DemoParams):
    n: int = Field(default=12, ge=5, le=30, description="Observations (one is an outlier).")
    delta: float = Field(default=1.0, ge=0.5, le=3.0, description="Huber's δ (smooth L1's β).")
    outlier: float = Field(default=30.0, ge=10.0, le=100.0, description="The outlier's value.")


def huber_grad(pred: np.ndarray, y: np.ndarray, delta: float) -> np.ndarray:
    p = Tensor(pred, requires_grad=True)
    L.huber_loss(p, y, delta=delta).backward()
    assert p.grad is not None
    return p.grad


def fit_location(y: np.ndarray, delta: float) -> float:
    """argmin_c mean Huber(c − y): bisection on the engine's gradient, which rises with c."""
    low, high = float(y.min()), float(y.max())
    for _ in range(60):
        c = 0.5 * (low + high)
        t = Tensor(np.array([c]), requires_grad=True)
        L.huber_loss(t.expand(y.size), y, delta=delta).backward()
        assert t.grad is not None
        low, high = (c, high) if float(t.grad[0]) < 0 else (low, c)
    return 0.5 * (low + high)


@register(
    "huber_outliers",
    "Huber loss and outliers: a clipped gradient",
    HuberParams,
    rules=("abs.vjp", "where.vjp"),
)
@quiet_floats
def huber_outliers(params: HuberParams) -> Demo:
    """Run the demo: the Huber gradient, and a location fit with and without an outlier."""
    rng = params.rng()
    n, delta = params.n, params.delta
    inliers = np.round(rng.normal(0.0, 1.0, n - 1), 3)
    y = np.concatenate([inliers, [params.outlier]])
    pred = np.round(rng.normal(0.0, 1.0, n), 3)
    g = huber_grad(pred, y, delta)
    clipped = np.clip(pred - y, -delta, delta) / n
    p = Tensor(pred, requires_grad=True)
    mse_loss(p, y).backward()
    assert p.grad is not None

    c_all, c_in = fit_location(y, delta), fit_location(inliers, delta)
    mean_shift = abs(float(y.mean() - inliers.mean()))
    huber_shift = abs(c_all - c_in)
    # Beyond δ an outlier's pull is a constant δ/n: moving it twice as far changes nothing.
    farther = np.concatenate([inliers, [2 * params.outlier]])
    c_far = fit_location(farther, delta)
    mean_moves = float(farther.mean() - y.mean())
    h = L.huber_loss(Tensor(pred), y, delta=delta).item()
    s = L.smooth_l1_loss(Tensor(pred), y, beta=delta).item()
    g_s = Tensor(pred, requires_grad=True)
    L.smooth_l1_loss(g_s, y, beta=delta).backward()
    assert g_s.grad is not None
    checks = [
        Check.at_most(
            "engine's ∂L/∂ŷ equals clip(ŷ − y, −δ, δ)/n", max_abs_difference(g, clipped), 1e-12
        ),
        Check.at_most(
            "the outlier's gradient is capped at δ/n (its |g|·n/δ)",
            abs(float(g[-1])) * n / delta,
            1.0 + 1e-12,
        ),
        Check.at_least(
            "under MSE the outlier's gradient is far larger (|g_MSE| / |g_Huber|)",
            abs(float(p.grad[-1])) / abs(float(g[-1])),
            2.0,
        ),
        Check.at_most(
            "moving the outlier twice as far leaves the Huber location where it was (|Δc|)",
            abs(c_far - c_all),
            1e-9,
        ),
        Check.at_most(
            "while it moves the mean by outlier/n (error)",
            abs(mean_moves - params.outlier / n),
            1e-9,
        ),
        Check.at_most(
            "huber_loss(δ) = δ · smooth_l1_loss(β = δ): value and gradient",
            max(abs(float(h) - delta * float(s)), max_abs_difference(g, delta * g_s.grad)),
            1e-12,
        ),
        gradient_check(
            "analytic ∂L/∂ŷ equals central differences",
            lambda v: L.huber_loss(v, y, delta=delta) * 10.0,
            [pred],
            ["∂L/∂ŷ"],
        ),
    ]
    steps = [
        Step("y (last entry the outlier)", y),
        Step("ŷ (predictions)", pred),
        Step("residual ŷ − y", pred - y),
        Step("∂L/∂ŷ, Huber", g, r"\tfrac1n\,\mathrm{clip}(\hat y - y, -\delta, \delta)"),
        Step("∂L/∂ŷ, MSE", p.grad, r"\tfrac2n(\hat y - y)"),
        Step("mean: without / with the outlier", f"{inliers.mean():.4f} / {y.mean():.4f}"),
        Step("Huber location: without / with the outlier", f"{c_in:.4f} / {c_all:.4f}"),
        Step(
            "with the outlier twice as far: mean / Huber location",
            f"{farther.mean():.4f} / {c_far:.4f}",
        ),
    ]
    return Demo(
        name="huber_outliers",
        title="Huber loss and outliers: a clipped gradient",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"The outlier at {params.outlier:g} moves the mean by {mean_shift:.3f} and the Huber "
            f"(δ = {delta:g}) location by {huber_shift:.3f}; moving it to {2 * params.outlier:g} "
            f"moves the mean {mean_moves:.3f} further and the Huber location not at all."
        ),
    )
