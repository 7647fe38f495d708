"""Card 5: the bias-variance decomposition, measured over many training sets.

Fixed inputs x₁…xₙ on [−1, 1], targets f(x) + ε with f(x) = sin(πx) and ε ~ N(0, σ²), and a
least-squares polynomial of degree k fitted to each of R noisy training sets. At the training
inputs, the expected squared error against a fresh target splits exactly into
σ² + bias² + variance, and for least squares with p = k + 1 features the variance averaged
over the inputs is σ²p/n.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import legendre
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import batched_newton_fit, relative_error

DEGREES = tuple(range(10))


class BiasVarianceParams(DemoParams):
    n: int = Field(default=20, ge=14, le=40, description="Training inputs (the same every set).")
    noise: float = Field(default=0.3, ge=0.1, le=0.5, description="σ, the targets' noise.")
    datasets: int = Field(default=200, ge=100, le=400, description="R, training sets drawn.")


@register(
    "bias_variance",
    "Bias and variance of polynomial fits over many training sets",
    BiasVarianceParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def bias_variance(params: BiasVarianceParams) -> Demo:
    """Run the demo: R training sets, one least-squares fit per degree each, then the split."""
    rng = params.rng()
    n, sigma, r = params.n, params.noise, params.datasets
    x = np.linspace(-1.0, 1.0, n)
    f = np.sin(np.pi * x)
    ys = f[:, None] + sigma * rng.standard_normal((n, r))  # one column per training set

    bias2, variance, fit_error = [], [], 0.0
    for k in DEGREES:
        features = legendre.legvander(x, k)  # Legendre basis: well conditioned on [−1, 1]
        w = batched_newton_fit(features, ys)  # (R, p): each set fitted through the engine
        w_ref = np.linalg.lstsq(features, ys, rcond=None)[0].T
        fit_error = max(fit_error, relative_error(w, w_ref))
        predictions = features @ w.T  # (n, R)
        mean = predictions.mean(axis=1)
        bias2.append(float(np.mean((mean - f) ** 2)))
        variance.append(float(np.mean(predictions.var(axis=1))))
    p = np.array(DEGREES) + 1
    predicted_variance = sigma**2 * p / n
    ratios = np.array(variance) / predicted_variance
    total = sigma**2 + np.array(bias2) + np.array(variance)
    best = int(np.argmin(total))

    checks = [
        Check.at_most(
            "each fit through the engine's gradient (one Newton step) equals least squares "
            "(largest relative gap)",
            fit_error,
            1e-8,
        ),
        Check.between(
            "the measured variance is σ²p/n at every degree (smallest measured/predicted)",
            float(ratios.min()),
            0.75,
            1.33,
        ),
        Check.between(
            "the measured variance is σ²p/n at every degree (largest measured/predicted)",
            float(ratios.max()),
            0.75,
            1.33,
        ),
        Check.at_most(
            "bias² falls with the degree (bias² at degree 9 / at degree 1)",
            bias2[-1] / bias2[1],
            1e-2,
        ),
        Check.between(
            "the expected error σ² + bias² + variance is lowest at an interior degree (degree)",
            best,
            1,
            DEGREES[-1] - 1,
        ),
    ]
    degrees: list[float | int] = list(DEGREES)
    charts = [
        Chart(
            "Bias², variance and expected error against the degree",
            "polynomial degree",
            "squared error",
            [
                Series("bias²", degrees, bias2),
                Series("variance", degrees, variance),
                Series("σ²p/n", degrees, [float(v) for v in predicted_variance]),
                Series("σ² + bias² + variance", degrees, [float(v) for v in total]),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step("inputs x (fixed)", x),
        Step("bias² per degree", np.array(bias2), r"\overline{(\mathbb{E}\hat f - f)^2}"),
        Step("variance per degree", np.array(variance), r"\overline{\operatorname{Var}\hat f}"),
        Step("σ²p/n per degree", predicted_variance, r"\sigma^2 p / n"),
        Step("expected error per degree", total, r"\sigma^2 + \text{bias}^2 + \text{variance}"),
        Step("best degree", best),
    ]
    return Demo(
        name="bias_variance",
        title="Bias and variance of polynomial fits over many training sets",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Over {r} training sets of {n} points, bias² fell from {bias2[1]:.3g} (degree 1) to "
            f"{bias2[-1]:.2g} (degree 9) while the variance rose as σ²p/n, from "
            f"{variance[0]:.3g} to {variance[-1]:.3g}; the expected error was lowest at degree "
            f"{best}."
        ),
    )
