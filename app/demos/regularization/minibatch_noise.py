"""Card 11: batch size and gradient noise.

A minibatch gradient is the mean of B per-example gradients. Drawn without replacement from N
examples, it is unbiased and its covariance is Σ/B · (N − B)/(N − 1), with Σ the per-example
gradient covariance: the noise falls like 1/B and vanishes at B = N. The SGD step's noise
therefore scales like η²/B, which is why the learning rate and the batch size are tuned
together (linear scaling keeps η/B fixed).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import grad_of, relative_error
from app.engine import Tensor, linear, mse_loss

FEATURES = 4


class BatchNoiseParams(DemoParams):
    n: int = Field(default=64, ge=32, le=128, description="N, training examples.")
    draws: int = Field(default=400, ge=300, le=1000, description="Minibatches drawn per size.")


def engine_gradient(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """∇_w mean((Xw − y)²) on these rows, through the engine."""
    t = Tensor(w[None, :].copy(), requires_grad=True)
    mse_loss(linear(Tensor(x), t), y[:, None]).backward()
    return grad_of(t)[0]


@register(
    "minibatch_noise",
    "Minibatch gradient noise falls like 1/B",
    BatchNoiseParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def batch_noise(params: BatchNoiseParams) -> Demo:
    """Run the demo: per-example gradients, then minibatches of several sizes."""
    rng = params.rng()
    n = params.n
    x = rng.standard_normal((n, FEATURES))
    y = x @ rng.standard_normal(FEATURES) + rng.standard_normal(n)
    w = rng.standard_normal(FEATURES)
    per_example = np.array([engine_gradient(x[i : i + 1], y[i : i + 1], w) for i in range(n)])
    full = engine_gradient(x, y, w)
    sigma_trace = float(np.trace(np.cov(per_example.T, bias=True)))
    sizes = [b for b in (1, 2, 4, 8, 16, 32, 64, 128) if b <= n]
    if n not in sizes:
        sizes.append(n)
    measured, predicted = [], []
    for b in sizes:
        picks = np.array([rng.choice(n, b, replace=False) for _ in range(params.draws)])
        grads = per_example[picks].mean(axis=1)
        measured.append(float(np.sum(np.mean((grads - full) ** 2, axis=0))))
        predicted.append(sigma_trace / b * (n - b) / (n - 1))
    batch = rng.choice(n, 8, replace=False)
    ratios = [m / p for m, p in zip(measured[:-1], predicted[:-1], strict=True)]

    checks = [
        Check.at_most(
            "a minibatch gradient from the engine is the mean of its per-example gradients "
            "(relative gap)",
            relative_error(engine_gradient(x[batch], y[batch], w), per_example[batch].mean(0)),
            1e-12,
        ),
        Check.at_most(
            "per-example gradients equal 2(xᵢ·w − yᵢ)xᵢ (relative gap)",
            relative_error(per_example, 2 * (x @ w - y)[:, None] * x),
            1e-12,
        ),
        Check.between(
            "the noise E‖ĝ − g‖² is tr Σ/B · (N − B)/(N − 1) (smallest measured/predicted)",
            min(ratios),
            0.75,
            1.33,
        ),
        Check.between(
            "the noise E‖ĝ − g‖² is tr Σ/B · (N − B)/(N − 1) (largest measured/predicted)",
            max(ratios),
            0.75,
            1.33,
        ),
        Check.at_most("at B = N the noise is gone (E‖ĝ − g‖²)", measured[-1], 1e-20),
    ]
    charts = [
        Chart(
            "Gradient noise against batch size",
            "batch size B",
            "E‖ĝ − g‖²",
            [
                Series("measured", list(map(float, sizes[:-1])), measured[:-1]),
                Series("tr Σ/B · (N − B)/(N − 1)", list(map(float, sizes[:-1])), predicted[:-1]),
            ],
            log_x=True,
            log_y=True,
        )
    ]
    steps = [
        Step("full-batch gradient g", full),
        Step("tr Σ (per-example gradient variance)", sigma_trace),
        Step("batch sizes", np.array(sizes)),
        Step("measured noise per size", np.array(measured)),
        Step("predicted noise per size", np.array(predicted)),
    ]
    return Demo(
        name="minibatch_noise",
        title="Minibatch gradient noise falls like 1/B",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With N = {n}, the gradient noise fell from {measured[0]:.3g} at B = 1 to "
            f"{measured[-2]:.3g} at B = {sizes[-2]}, as tr Σ/B · (N − B)/(N − 1) predicts, and "
            "to 0 at B = N."
        ),
    )
