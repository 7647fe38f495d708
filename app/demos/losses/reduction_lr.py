"""reduction='sum' makes the gradient B times reduction='mean''s, so SGD needs lr/B to take the
same step; Adam divides the scale away and takes (almost) the same step either way."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.losses.common import quiet_floats, relative_difference
from app.demos.registry import register
from app.engine import SGD, Tensor, linear, mse_loss
from app.engine.optim import Adam


class ReductionLrParams(DemoParams):
    batch: int = Field(default=8, ge=2, le=32, description="Examples B.")
    features: int = Field(default=3, ge=1, le=8, description="Inputs of the linear model.")
    lr: float = Field(default=0.01, ge=0.001, le=0.1, description="Learning rate (for 'mean').")


def one_step(
    x: np.ndarray, y: np.ndarray, w0: np.ndarray, reduction: str, optimizer: str, lr: float
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, weights after one step) of MSE with `reduction`, from w0."""
    w = Tensor(w0.copy(), requires_grad=True)
    opt = SGD([w], lr=lr) if optimizer == "sgd" else Adam([w], lr=lr)
    mse_loss(linear(Tensor(x), w), y, reduction=reduction).backward()
    assert w.grad is not None
    grad = w.grad.copy()
    opt.step()
    return grad, w.data.copy()


@register(
    "reduction_lr",
    "reduction='mean' or 'sum', and the learning rate",
    ReductionLrParams,
    rules=("mse_loss.vjp", "pow.vjp", "sum.vjp"),
)
@quiet_floats
def reduction_lr(params: ReductionLrParams) -> Demo:
    """Run the demo: one SGD and one Adam step under each reduction."""
    rng = params.rng()
    B, d, lr = params.batch, params.features, params.lr
    x = np.round(rng.normal(size=(B, d)), 2)
    y = np.round(rng.normal(size=(B, 1)), 2)
    w0 = np.round(rng.normal(size=(1, d)), 2)
    g_mean, w_mean = one_step(x, y, w0, "mean", "sgd", lr)
    g_sum, w_sum_same = one_step(x, y, w0, "sum", "sgd", lr)
    _, w_sum_scaled = one_step(x, y, w0, "sum", "sgd", lr / B)
    _, a_mean = one_step(x, y, w0, "mean", "adam", lr)
    _, a_sum = one_step(x, y, w0, "sum", "adam", lr)
    step_ratio = float(np.linalg.norm(w_sum_same - w0) / np.linalg.norm(w_mean - w0))
    checks = [
        Check.at_most(
            "∂L/∂W with 'sum' is B × the 'mean' one (relative error)",
            relative_difference(g_sum, g_mean * B),
            1e-12,
        ),
        Check.at_most(
            "'mean' with MSE's fused rule equals 2(XWᵀ − y)ᵀX/B (relative error)",
            relative_difference(g_mean, 2 * (x @ w0.T - y).T @ x / B),
            1e-12,
        ),
        Check.at_most(
            "SGD: 'sum' with lr/B takes the 'mean' step with lr (relative difference)",
            relative_difference(w_sum_scaled - w0, w_mean - w0),
            1e-12,
        ),
        Check.at_most(
            "SGD: 'sum' with the same lr takes a B times longer step (ratio / B − 1)",
            abs(step_ratio / B - 1),
            1e-10,
        ),
        Check.at_most(
            "Adam: the first step is the same under either reduction (relative difference)",
            relative_difference(a_sum - w0, a_mean - w0),
            1e-5,
        ),
    ]
    steps = [
        Step("X", x, r"X \in \mathbb{R}^{B\times d}"),
        Step("y", y),
        Step("∂L/∂W, 'mean'", g_mean, r"\tfrac{2}{B}(XW^\top - y)^\top X"),
        Step("∂L/∂W, 'sum'", g_sum, r"2(XW^\top - y)^\top X"),
        Step("SGD step, 'mean', lr", w_mean - w0),
        Step("SGD step, 'sum', lr", w_sum_same - w0, note=f"{B}× longer"),
        Step("SGD step, 'sum', lr/B", w_sum_scaled - w0),
        Step("Adam step, 'mean' / 'sum'", np.vstack([a_mean - w0, a_sum - w0])),
    ]
    return Demo(
        name="reduction_lr",
        title="reduction='mean' or 'sum', and the learning rate",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With B = {B}, 'sum' multiplies the gradient by {B}: SGD's step grows "
            f"{step_ratio:.4g}× "
            "unless lr is divided by B, while Adam's first step is the same under both."
        ),
    )
