"""Card 13: noise injection: noisy inputs are a ridge penalty; annealed gradient noise.

For a linear model, Gaussian input noise ε ~ N(0, σ²I) gives, in expectation,
E mean((w·(x + ε) − y)²) = mean((w·x − y)²) + σ²‖w‖² (Bishop, 1995): training with noise is
ridge with λ = σ² in this convention. Averaging over the 2d noise vectors ±σ√d·eₖ (mean 0,
covariance exactly σ²I) makes the expectation exact. Gradient noise injection (Neelakantan et
al., 2015) adds N(0, σₜ²) to the gradient with σₜ² = η/(1 + t)^0.55, annealed toward zero.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import engine_gd, grad_of, relative_error
from app.engine import Tensor, linear, mse_loss

GAMMA = 0.55  # Neelakantan et al.'s decay exponent


class NoiseInjectionParams(DemoParams):
    n: int = Field(default=12, ge=6, le=32, description="Training examples.")
    d: int = Field(default=4, ge=2, le=8, description="Inputs.")
    sigma: float = Field(default=0.5, ge=0.1, le=1.0, description="σ, the input noise.")


def noisy_copies(x: np.ndarray, y: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Every example with each of the 2d noise vectors ±σ√d·eₖ added (mean 0, covariance σ²I)."""
    d = x.shape[1]
    noise = np.concatenate([np.eye(d), -np.eye(d)]) * sigma * math.sqrt(d)
    return (x[:, None, :] + noise[None]).reshape(-1, d), np.repeat(y, 2 * d)


@register(
    "noise_injection",
    "Noise injection: noisy inputs act as a ridge penalty",
    NoiseInjectionParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def noise_injection(params: NoiseInjectionParams) -> Demo:
    """Run the demo: the noisy loss and its gradient against ridge's, then training."""
    rng = params.rng()
    n, d, sigma = params.n, params.d, params.sigma
    x = rng.standard_normal((n, d))
    y = x @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    x_noisy, y_noisy = noisy_copies(x, y, sigma)
    w0 = rng.standard_normal(d)

    def loss_and_grad(xs: np.ndarray, ys: np.ndarray, ridge: float) -> tuple[float, np.ndarray]:
        w = Tensor(w0[None, :].copy(), requires_grad=True)
        loss = mse_loss(linear(Tensor(xs), w), ys[:, None]) + (w * w).sum() * ridge
        loss.backward()
        return loss.item(), grad_of(w)[0]

    noisy_loss, noisy_grad = loss_and_grad(x_noisy, y_noisy, 0.0)
    ridge_loss, ridge_grad = loss_and_grad(x, y, sigma**2)
    curvature = float(np.linalg.eigvalsh(2 / len(y_noisy) * x_noisy.T @ x_noisy).max())
    trained, _ = engine_gd(x_noisy, y_noisy, np.zeros(d), 0.9 / curvature, 400)
    ridge_solution = np.linalg.solve(x.T @ x / n + sigma**2 * np.eye(d), x.T @ y / n)
    plain_solution = np.linalg.lstsq(x, y, rcond=None)[0]
    schedule = [0.3 / (1 + t) ** GAMMA for t in range(0, 1001, 100)]

    checks = [
        Check.at_most(
            "the noise-averaged loss equals the clean loss + σ²‖w‖² (relative gap)",
            abs(noisy_loss - ridge_loss) / ridge_loss,
            1e-12,
        ),
        Check.at_most(
            "and its gradient equals the clean gradient + 2σ²w (relative gap)",
            relative_error(noisy_grad, ridge_grad),
            1e-12,
        ),
        Check.at_most(
            "the gradient is (2/n)Xᵀ(Xw − y) + 2σ²w, written out (relative gap)",
            relative_error(noisy_grad, 2 / n * x.T @ (x @ w0 - y) + 2 * sigma**2 * w0),
            1e-12,
        ),
        Check.at_most(
            "training on noisy copies converges to ridge with λ = σ² (relative gap)",
            relative_error(trained[-1], ridge_solution),
            1e-6,
        ),
        Check.at_least(
            "which is not the unregularised fit (relative gap to least squares)",
            relative_error(ridge_solution, plain_solution),
            1e-3,
        ),
    ]
    charts = [
        Chart(
            "Annealed gradient-noise variance σₜ² = η/(1 + t)^0.55, η = 0.3",
            "step t",
            "σₜ²",
            [Series("σₜ²", list(range(0, 1001, 100)), schedule)],
            y_from_zero=True,
        )
    ]
    steps = [
        Step("noisy copies per example", 2 * d, r"\pm\sigma\sqrt d\, e_k"),
        Step("noise-averaged loss at w₀", noisy_loss),
        Step("clean loss + σ²‖w₀‖²", ridge_loss),
        Step("trained on noisy copies", trained[-1]),
        Step("ridge solution, λ = σ²", ridge_solution),
        Step("least squares (no penalty)", plain_solution),
        Step("σₜ² at t = 0, 100, …, 1000 (η = 0.3)", np.array(schedule)),
    ]
    return Demo(
        name="noise_injection",
        title="Noise injection: noisy inputs act as a ridge penalty",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With σ = {sigma:g}, the loss averaged over the input noise equalled the clean loss "
            f"plus σ²‖w‖² = {sigma**2 * float(w0 @ w0):.4g}, and training on the noisy copies "
            "converged to the ridge solution with λ = σ²."
        ),
    )
