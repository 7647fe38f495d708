"""Card 5: the learning-rate stability limit. On f(θ) = ½ θᵀAθ a gradient step multiplies the
coordinate along each eigenvector of A by (1 − ηλ), so gradient descent converges iff
|1 − ηλ_max| < 1, i.e. η < 2/λ_max. Just below the limit the steepest direction flips sign each
step and shrinks slowly; just above it flips and grows."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error, rotation, run
from app.demos.registry import register
from app.engine import SGD

STEPS = 60


class LrStabilityParams(DemoParams):
    margin: float = Field(
        default=0.1, ge=0.02, le=0.4, description="η = (1 ± margin)·2/λ_max for the two runs."
    )


def loss(a: np.ndarray, path: np.ndarray) -> np.ndarray:
    """½ θᵀAθ along a path."""
    return np.asarray(0.5 * np.einsum("ti,ij,tj->t", path, a, path))


@register(
    "lr_stability",
    "The learning-rate stability limit 2/λ_max",
    LrStabilityParams,
    rules=("optim.sgd_step",),
)
@quiet
def lr_stability(params: LrStabilityParams) -> Demo:
    """Run the demo: gradient descent just below and just above η = 2/λ_max."""
    rng = params.rng()
    eigenvalues = np.sort(rng.uniform(0.5, 4.0, size=3))[::-1] * np.array([4.0, 1.0, 1.0])
    top = float(eigenvalues[0])
    q = rotation(rng, 3)
    a = q @ np.diag(eigenvalues) @ q.T
    theta0 = rng.standard_normal(3)
    limit = 2 / top
    lr_below, lr_above = (1 - params.margin) * limit, (1 + params.margin) * limit

    def gradient(theta: np.ndarray, t: int) -> np.ndarray:
        return np.asarray(a @ theta)

    below = run(lambda p: SGD(p, lr=lr_below), theta0, gradient, STEPS)
    above = run(lambda p: SGD(p, lr=lr_above), theta0, gradient, STEPS)
    powers = np.arange(STEPS + 1)[:, None]

    def closed_form(lr: float) -> np.ndarray:
        # θ_t = Q diag((1 − ηλ)^t) Qᵀ θ₀
        return np.asarray(((1 - lr * eigenvalues) ** powers * (theta0 @ q)) @ q.T)

    top_below, top_above = below @ q[:, 0], above @ q[:, 0]
    # Read early: below the limit the steepest coordinate soon drops under the others' rounding.
    factor_below = float(top_below[2] / top_below[1])
    factor_above = float(top_above[STEPS] / top_above[STEPS - 1])
    loss_below, loss_above = loss(a, below), loss(a, above)
    checks = [
        Check.at_most(
            "the engine's SGD path below the limit is θ_t = Q(I − ηΛ)ᵗQᵀθ₀ (relative)",
            relative_error(below, closed_form(lr_below)),
            1e-10,
        ),
        Check.at_most(
            "the engine's SGD path above the limit is θ_t = Q(I − ηΛ)ᵗQᵀθ₀ (relative)",
            relative_error(above, closed_form(lr_above)),
            1e-10,
        ),
        Check.at_most(
            "the steepest coordinate is multiplied by 1 − ηλ_max per step, below the limit "
            "(relative error)",
            abs(factor_below / (1 - lr_below * top) - 1),
            1e-9,
        ),
        Check.at_most(
            "the steepest coordinate is multiplied by 1 − ηλ_max per step, above the limit "
            "(relative error)",
            abs(factor_above / (1 - lr_above * top) - 1),
            1e-9,
        ),
        Check.at_most(
            f"below 2/λ_max the loss falls: loss after {STEPS} steps over the first",
            float(loss_below[-1] / loss_below[0]),
            0.5,
        ),
        Check.at_least(
            f"above 2/λ_max the loss blows up: loss after {STEPS} steps over the first",
            float(loss_above[-1] / loss_above[0]),
            2.0,
        ),
    ]
    x: list[float | int] = list(range(STEPS + 1))
    charts = [
        Chart(
            "Loss on either side of η = 2/λ_max",
            "step",
            "½ θᵀAθ",
            [
                Series(f"η = {1 - params.margin:g} · 2/λmax", x, [float(v) for v in loss_below]),
                Series(f"η = {1 + params.margin:g} · 2/λmax", x, [float(v) for v in loss_above]),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step("eigenvalues of A", eigenvalues, r"A = Q\Lambda Q^\top"),
        Step("limit 2/λ_max", limit, r"\eta < 2/\lambda_{\max}"),
        Step("η below, η above", np.array([lr_below, lr_above])),
        Step("per-step factor 1 − ηλ_max, below and above", np.array([factor_below, factor_above])),
        Step("loss after the run, below and above", np.array([loss_below[-1], loss_above[-1]])),
    ]
    return Demo(
        name="lr_stability",
        title="The learning-rate stability limit 2/λ_max",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"λ_max = {top:.3g}, so the limit is η = {limit:.3g}. At {lr_below:.3g} the steepest "
            f"coordinate is multiplied by {factor_below:.3g} per step and the loss falls; at "
            f"{lr_above:.3g} by {factor_above:.3g}, and the loss grows "
            f"{loss_above[-1] / loss_above[0]:.3g}-fold in {STEPS} steps."
        ),
    )
