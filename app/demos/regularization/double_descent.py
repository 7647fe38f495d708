"""Card 6: double descent in random-features regression.

ReLU random features φ(x) = relu(Wx), the first p of them fitted by least squares (the
minimum-norm solution once p ≥ n, which interpolates). The test error falls, then climbs to a
peak at the interpolation threshold p = n, where the fit must pass through every noisy point
with a barely invertible system, then falls again as p grows: among the many interpolants, the
minimum-norm one gets smoother. Curves are averaged (geometric mean) over several draws.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import grad_of, relative_error
from app.engine import Tensor, linear, mse_loss, relu

INPUTS = 5
TEST = 300
NOISE = 0.5
WIDEST = 8  # p goes up to 8n


class DoubleDescentParams(DemoParams):
    n: int = Field(default=20, ge=16, le=32, description="Training examples.")
    trials: int = Field(default=8, ge=6, le=12, description="Draws averaged per curve.")


def widths(n: int) -> list[int]:
    """The feature counts of the sweep: dense around the threshold p = n."""
    ps = {1, 2, n // 4, n // 2, 3 * n // 4, n - 2, n - 1, n, n + 1, n + 2, 5 * n // 4}
    ps |= {3 * n // 2, 2 * n, 3 * n, 4 * n, 6 * n, WIDEST * n}
    return sorted(ps)


def min_norm_fit(features: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The minimum-norm least-squares fit from the engine's gradient g₀ = −(2/n)Φᵀy at w = 0:
    w = −(n/2)(ΦᵀΦ)⁺g₀ (the pseudo-inverse of the Hessian, as a least-squares solve), which
    for p ≥ n is −(n/2)Φᵀ K⁻² Φ g₀ with the small n×n matrix K = ΦΦᵀ."""
    n, p = features.shape
    w = Tensor(np.zeros((1, p)), requires_grad=True)
    mse_loss(linear(Tensor(features), w), y[:, None]).backward()
    g0 = grad_of(w)[0] * (-n / 2)  # = Φᵀy, through the engine
    if p < n:
        return np.asarray(np.linalg.lstsq(features.T @ features, g0, rcond=None)[0])
    gram = features @ features.T
    inner = np.linalg.lstsq(gram, features @ g0, rcond=None)[0]
    return np.asarray(features.T @ np.linalg.lstsq(gram, inner, rcond=None)[0])


@register(
    "double_descent",
    "Double descent: test error against the number of random features",
    DoubleDescentParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def double_descent(params: DoubleDescentParams) -> Demo:
    """Run the demo: sweep p for several draws, average the test-error curves."""
    rng = params.rng()
    n = params.n
    ps = widths(n)
    log_errors, train_errors, fit_gap = [], [], 0.0
    for _ in range(params.trials):
        x = rng.standard_normal((n, INPUTS))
        x_test = rng.standard_normal((TEST, INPUTS))
        beta = rng.standard_normal(INPUTS) * (2 / np.sqrt(INPUTS))
        y = np.tanh(x @ beta) + NOISE * rng.standard_normal(n)
        y_test = np.tanh(x_test @ beta)
        w_features = Tensor(rng.standard_normal((WIDEST * n, INPUTS)) / np.sqrt(INPUTS))
        phi = relu(linear(Tensor(x), w_features)).data
        phi_test = relu(linear(Tensor(x_test), w_features)).data
        row, train_row = [], []
        for p in ps:
            w = min_norm_fit(phi[:, :p], y)
            if abs(p - n) > 2:  # at the threshold both solvers are at the mercy of rounding
                fit_gap = max(fit_gap, relative_error(w, np.linalg.pinv(phi[:, :p]) @ y))
            row.append(np.log(np.mean((phi_test[:, :p] @ w - y_test) ** 2)))
            train_row.append(float(np.mean((phi[:, :p] @ w - y) ** 2)))
        log_errors.append(row)
        train_errors.append(train_row)
    test = np.exp(np.mean(log_errors, axis=0))
    train = np.mean(train_errors, axis=0)
    at = ps.index(n)
    peak = ps[int(np.argmax(test))]
    under = float(min(e for p, e in zip(ps, test, strict=True) if p < n))
    over_train = max(t for p, t in zip(ps, train, strict=True) if p > n)

    checks = [
        Check.at_most(
            "the fits through the engine's gradient equal the pseudo-inverse solution, away from "
            "p = n ± 2 (largest relative gap)",
            fit_gap,
            1e-7,
        ),
        Check.at_most(
            "past the threshold every fit interpolates (largest training MSE for p > n)",
            over_train,
            1e-12,
        ),
        Check.at_most("the test error peaks at p = n (|peak p − n|)", abs(peak - n), 1),
        Check.at_least(
            "the peak is far above the classical minimum (error at p = n / best p < n)",
            float(test[at]) / under,
            5.0,
        ),
        Check.at_least(
            "and the error comes down again as p grows (error at p = n / error at p = 8n)",
            float(test[at] / test[-1]),
            2.5,
        ),
    ]
    charts = [
        Chart(
            "Test error against the number of features (geometric mean over draws)",
            "features p",
            "test MSE",
            [Series("test", list(map(float, ps)), [float(v) for v in test])],
            log_x=True,
            log_y=True,
        ),
        Chart(
            "Training error against the number of features",
            "features p",
            "training MSE",
            [Series("train", list(map(float, ps)), [float(v) for v in train])],
            log_x=True,
        ),
    ]
    steps = [
        Step("feature counts p", np.array(ps)),
        Step("test MSE per p", test),
        Step("training MSE per p", train),
        Step("p with the highest test error", peak),
    ]
    return Demo(
        name="double_descent",
        title="Double descent: test error against the number of random features",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With n = {n}, the test error was lowest at {under:.3g} below the threshold, peaked "
            f"at p = {peak} ({test[at]:.3g} at p = n) and fell to {test[-1]:.3g} at p = {ps[-1]}, "
            "where every fit interpolates the training data."
        ),
    )
