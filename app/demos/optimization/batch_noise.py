"""Card 7: learning rate and batch size. A minibatch gradient is the mean of B per-example
gradients, so its covariance is Σ/B (sampling with replacement): the noise variance
E‖ĝ_B − ∇L‖² = tr Σ / B. The linear rule (η ∝ B) keeps η/B, the noise temperature of SGD,
fixed; the square-root rule (η ∝ √B) keeps the step's noise variance η² tr Σ / B fixed.
Per-example gradients come from one engine backward pass through a linear model."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error
from app.demos.registry import register
from app.engine import Tensor

BATCHES = (1, 4, 16, 64)
DRAWS = 4000
FEATURES = 4


class BatchNoiseParams(DemoParams):
    examples: int = Field(default=256, ge=64, le=512, description="Training set size N.")
    noise: float = Field(default=0.5, ge=0.1, le=2.0, description="Label noise std.")


def per_example_gradients(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """∂/∂w of (x_iᵀw − y_i)² for every i: w is copied once per row, so one backward pass
    leaves each example's own gradient in its row."""
    rows = Tensor(np.tile(w, (len(x), 1)), requires_grad=True)
    residual = (Tensor(x) * rows).sum(axis=1) - Tensor(y)
    (residual**2).sum().backward()
    assert rows.grad is not None
    return np.asarray(rows.grad)


@register(
    "batch_noise",
    "Gradient noise against batch size",
    BatchNoiseParams,
    rules=("mul.vjp", "pow.vjp", "sum.vjp"),
)
@quiet
def batch_noise(params: BatchNoiseParams) -> Demo:
    """Run the demo: the minibatch gradient's noise for B = 1, 4, 16, 64."""
    rng = params.rng()
    n = params.examples
    x = rng.standard_normal((n, FEATURES))
    w_true = rng.standard_normal(FEATURES)
    y = x @ w_true + params.noise * rng.standard_normal(n)
    w = w_true + rng.standard_normal(FEATURES)  # a point away from the optimum
    grads = per_example_gradients(x, y, w)
    by_hand = 2 * (x @ w - y)[:, None] * x
    full = grads.mean(axis=0)
    trace = float(np.sum(np.var(grads, axis=0)))  # tr Σ (population covariance of the rows)
    measured = []
    for size in BATCHES:
        picks = rng.integers(n, size=(DRAWS, size))
        means = grads[picks].mean(axis=1)
        measured.append(float(np.mean(np.sum((means - full) ** 2, axis=1))))
    scaled = np.array(measured) * np.array(BATCHES) / trace
    slope = float(np.polyfit(np.log(BATCHES), np.log(measured), 1)[0])
    checks = [
        Check.at_most(
            "the engine's per-example gradients are 2(xᵢᵀw − yᵢ)xᵢ (relative error)",
            relative_error(grads, by_hand),
            1e-12,
        ),
        Check.between(
            "noise variance × B / tr Σ, smallest over B = 1, 4, 16, 64 (1 = exactly 1/B)",
            float(np.min(scaled)),
            0.85,
            1.18,
        ),
        Check.between(
            "noise variance × B / tr Σ, largest over B = 1, 4, 16, 64",
            float(np.max(scaled)),
            0.85,
            1.18,
        ),
        Check.between(
            "slope of log(noise variance) against log B (−1 for 1/B)",
            slope,
            -1.06,
            -0.94,
        ),
    ]
    b = np.array(BATCHES, dtype=np.float64)
    charts = [
        Chart(
            "Minibatch gradient noise E‖ĝ_B − ∇L‖²",
            "batch size B",
            "noise variance",
            [
                Series("measured", list(BATCHES), measured),
                Series("tr Σ / B", list(BATCHES), [trace / v for v in BATCHES]),
            ],
            log_x=True,
            log_y=True,
        ),
        Chart(
            "Step noise η² tr Σ / B when η is scaled from η₀ = 0.01 at B = 1",
            "batch size B",
            "step noise variance",
            [
                Series(
                    "linear rule η = η₀B",
                    list(BATCHES),
                    [float(v) for v in 1e-4 * b**2 * trace / b],
                ),
                Series(
                    "square-root rule η = η₀√B",
                    list(BATCHES),
                    [float(v) for v in 1e-4 * b * trace / b],
                ),
            ],
            log_x=True,
            log_y=True,
        ),
    ]
    steps = [
        Step("tr Σ (per-example gradient variance)", trace),
        Step("measured noise variance for B = 1, 4, 16, 64", np.array(measured)),
        Step(
            "× B / tr Σ",
            scaled,
            r"\mathbb{E}\lVert \hat g_B - \nabla L\rVert^2 = \operatorname{tr}\Sigma / B",
        ),
        Step("log-log slope", slope),
    ]
    return Demo(
        name="batch_noise",
        title="Gradient noise against batch size",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Over {DRAWS} minibatches each, the gradient noise fell from {measured[0]:.3g} at "
            f"B = 1 to {measured[-1]:.3g} at B = 64, a log-log slope of {slope:.3f}: variance "
            "∝ 1/B, which is what the linear and square-root scaling rules start from."
        ),
    )
