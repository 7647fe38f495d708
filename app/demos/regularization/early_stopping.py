"""Card 4: early stopping as regularisation, on a toy regression with a validation curve.

Gradient descent from 0 on least squares fits the directions of large singular value first
and the small ones (where the noise is amplified by 1/s) last: after t steps the component
along singular direction i is filtered by 1 − (1 − η·2sᵢ²/n)ᵗ, close to ridge's
sᵢ²/(sᵢ² + λ) with λ ≈ 1/(ηt). Stopping at the validation minimum is a ridge-like penalty
chosen by the step count.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import engine_gd, numpy_gd, trajectory_error

NOISE = 1.0
VALIDATION = 200
LR_FRACTION = 0.5  # η = 0.5/L, L the largest curvature of the training loss


class EarlyStoppingParams(DemoParams):
    n: int = Field(default=20, ge=12, le=32, description="Training examples (= weights).")
    steps: int = Field(default=400, ge=300, le=600, description="Gradient-descent steps.")


def problem(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """X = U S Vᵀ with singular values from √n down to 0.15√n; the signal lies along the
    large ones (coefficients 1), the small ones carry 0.05: noise fitted there is pure loss."""
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.sqrt(n) * np.linspace(1.0, 0.15, n)
    x = u @ np.diag(s) @ v.T
    w_true = v @ (np.where(np.arange(n) < n // 2, 1.0, 0.05) * rng.choice([-1.0, 1.0], n))
    x_val = rng.standard_normal((VALIDATION, n))
    y = x @ w_true + NOISE * rng.standard_normal(n)
    y_val = x_val @ w_true + NOISE * rng.standard_normal(VALIDATION)
    return x, y, x_val, y_val


@register(
    "early_stopping",
    "Early stopping: the validation curve of gradient descent",
    EarlyStoppingParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def early_stopping(params: EarlyStoppingParams) -> Demo:
    """Run the demo: train on the engine, track validation error, compare with ridge."""
    rng = params.rng()
    n, steps = params.n, params.steps
    x, y, x_val, y_val = problem(rng, n)
    curvature = float(np.linalg.eigvalsh(2.0 / n * x.T @ x).max())
    lr = LR_FRACTION / curvature
    weights, train = engine_gd(x, y, np.zeros(n), lr, steps)
    reference = numpy_gd(x, y, np.zeros(n), lr, steps)
    train = [*train, float(np.mean((x @ weights[-1] - y) ** 2))]
    val = [float(np.mean((x_val @ w - y_val) ** 2)) for w in weights]
    best = int(np.argmin(val))

    lams = np.logspace(-4, 2, 61)
    gram, moment = 2.0 / n * x.T @ x, 2.0 / n * x.T @ y
    ridge_val = [
        float(np.mean((x_val @ np.linalg.solve(gram + lam * np.eye(n), moment) - y_val) ** 2))
        for lam in lams
    ]
    ridge_best = int(np.argmin(ridge_val))

    checks = [
        Check.at_most(
            "the engine's descent equals w ← w − η(2/n)Xᵀ(Xw − y) (largest relative gap)",
            trajectory_error(weights, reference),
            1e-10,
        ),
        Check.at_most(
            "the training loss falls at every step (largest rise)",
            float(np.max(np.diff(train))),
            0.0,
        ),
        Check.at_most(
            "by the last step the model nearly interpolates (training loss / initial loss)",
            train[-1] / train[0],
            1e-3,
        ),
        Check.between(
            "the validation minimum is at an interior step (step of the minimum)",
            best,
            1,
            steps - 1,
        ),
        Check.at_least(
            "training to the end costs validation error (last / best validation loss)",
            val[-1] / val[best],
            1.1,
        ),
        Check.between(
            "the early-stopped model does about as well as the best ridge penalty "
            "(best early-stopped / best ridge validation loss)",
            val[best] / ridge_val[ridge_best],
            0.6,
            1.5,
        ),
    ]
    t: list[float | int] = list(range(steps + 1))
    charts = [
        Chart(
            "Training and validation loss",
            "step",
            "mean squared error",
            [Series("training", t, train), Series("validation", t, val)],
            log_x=False,
            log_y=True,
        ),
        Chart(
            "Ridge: validation loss against λ",
            "λ",
            "validation MSE",
            [Series("ridge", [float(v) for v in lams], ridge_val)],
            log_x=True,
            log_y=True,
        ),
    ]
    shown = [
        Step("learning rate η = 0.5/L", lr),
        Step("step with the lowest validation loss", best),
        Step("validation loss at that step", val[best]),
        Step("validation loss at the last step", val[-1]),
        Step("training loss at the last step", train[-1]),
        Step("best ridge λ (on the same validation set)", float(lams[ridge_best])),
        Step("≈ 1/(η·t*) for the best step t*", 1 / (lr * max(best, 1))),
        Step("best ridge validation loss", ridge_val[ridge_best]),
    ]
    return Demo(
        name="early_stopping",
        title="Early stopping: the validation curve of gradient descent",
        params=params.model_dump(),
        steps=shown,
        checks=checks,
        charts=charts,
        summary=(
            f"The training loss fell to {train[-1]:.2g} while the validation loss bottomed at "
            f"step {best} ({val[best]:.3g}) and ended at {val[-1]:.3g}, "
            f"{val[-1] / val[best]:.2f}× worse; the best ridge penalty reached "
            f"{ridge_val[ridge_best]:.3g}."
        ),
    )
