"""Card 14: the implicit bias of gradient descent: the minimum-norm solution of least squares.

With fewer examples than weights (n < d), Xw = y has infinitely many solutions. Each gradient
(2/n)Xᵀ(Xw − y) is a combination of the rows of X, so descent from w₀ never changes the
component of w outside the row space. From w₀ = 0 it therefore converges to the one
interpolant inside the row space: the minimum-norm solution X⁺y. From any w₀ it converges to
X⁺y + (I − P)w₀, with P the projector onto the row space.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import engine_gd, numpy_gd, relative_error, trajectory_error


class MinNormParams(DemoParams):
    n: int = Field(default=8, ge=4, le=12, description="Examples.")
    ratio: int = Field(default=4, ge=3, le=6, description="Weights per example: d = ratio·n.")
    steps: int = Field(default=400, ge=300, le=800, description="Gradient-descent steps.")


@register(
    "min_norm_gd",
    "Gradient descent from zero finds the minimum-norm interpolant",
    MinNormParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def min_norm_gd(params: MinNormParams) -> Demo:
    """Run the demo: descent from 0 and from a random start on an underdetermined problem."""
    rng = params.rng()
    n, d = params.n, params.ratio * params.n
    x = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    lr = 1.0 / float(np.linalg.eigvalsh(2 / n * x @ x.T).max())
    from_zero, losses = engine_gd(x, y, np.zeros(d), lr, params.steps)
    reference = numpy_gd(x, y, np.zeros(d), lr, params.steps)
    w0 = rng.standard_normal(d)
    from_w0, _ = engine_gd(x, y, w0, lr, params.steps)

    pinv = np.linalg.pinv(x)
    w_min = pinv @ y
    projector = pinv @ x  # onto the row space of X
    leak = max(
        float(np.linalg.norm(w - projector @ w)) / max(float(np.linalg.norm(w)), 1e-300)
        for w in from_zero[1:]
    )
    null = rng.standard_normal(d)
    null -= projector @ null
    other = w_min + null  # another interpolant
    final_loss = float(np.mean((x @ from_zero[-1] - y) ** 2))

    checks = [
        Check.at_most(
            "the engine's descent equals w ← w − η(2/n)Xᵀ(Xw − y) (largest relative gap)",
            trajectory_error(from_zero, reference),
            1e-10,
        ),
        Check.at_most(
            "from 0, every iterate stays in the row space of X (largest ‖(I − P)w‖/‖w‖)",
            leak,
            1e-12,
        ),
        Check.at_most(
            "it converges to the minimum-norm solution X⁺y (relative gap)",
            relative_error(from_zero[-1], w_min),
            1e-6,
        ),
        Check.at_most("and interpolates the data (training MSE)", final_loss, 1e-12),
        Check.at_most(
            "from a random w₀ it converges to X⁺y + (I − P)w₀ instead (relative gap)",
            relative_error(from_w0[-1], w_min + w0 - projector @ w0),
            1e-6,
        ),
        Check.at_least(
            "another interpolant X⁺y + v, v ⟂ rows, fits as well but is longer (‖·‖ ratio)",
            float(np.linalg.norm(other) / np.linalg.norm(w_min)),
            1.0 + 1e-6,
        ),
        Check.at_most(
            "(that other interpolant's training MSE)", float(np.mean((x @ other - y) ** 2)), 1e-20
        ),
    ]
    t: list[float | int] = list(range(1, params.steps + 1))
    charts = [
        Chart(
            "Training loss from w = 0",
            "step",
            "MSE",
            [Series("training loss", t, losses)],
            log_y=True,
        ),
        Chart(
            "Distance to the minimum-norm solution",
            "step",
            "‖w − X⁺y‖",
            [
                Series(
                    "from 0",
                    list(range(params.steps + 1)),
                    [float(np.linalg.norm(w - w_min)) for w in from_zero],
                )
            ],
            log_y=True,
        ),
    ]
    steps = [
        Step("shape of X", f"{n}×{d}: {n} equations, {d} unknowns"),
        Step("‖X⁺y‖ (minimum norm)", float(np.linalg.norm(w_min))),
        Step("‖w‖ reached from 0", float(np.linalg.norm(from_zero[-1]))),
        Step("‖w‖ reached from w₀", float(np.linalg.norm(from_w0[-1]))),
        Step("‖X⁺y + v‖ (another interpolant)", float(np.linalg.norm(other))),
    ]
    return Demo(
        name="min_norm_gd",
        title="Gradient descent from zero finds the minimum-norm interpolant",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"On {n} equations in {d} unknowns, descent from 0 stayed in the row space and reached "
            f"X⁺y (norm {np.linalg.norm(w_min):.4g}); from a random start it kept that start's "
            f"null-space part and ended with norm {np.linalg.norm(from_w0[-1]):.4g}."
        ),
    )
