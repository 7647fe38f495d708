"""Why cross-entropy and not MSE on a sigmoid: MSE's gradient carries σ′, which vanishes exactly
where the classifier is confidently wrong; binary cross-entropy's gradient σ(z) − y does not."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats, sigmoid
from app.demos.registry import register
from app.engine import Tensor, mse_loss
from app.engine import losses as L


class SigmoidMseParams(DemoParams):
    confidence: float = Field(
        default=8.0, ge=3.0, le=12.0, description="|z| of the confidently wrong example."
    )
    batch: int = Field(default=6, ge=3, le=16, description="Examples (two are planted).")


def _grads(z_data: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∂L/∂z of mean MSE on σ(z) and of mean BCE-with-logits, from the engine."""
    z = Tensor(z_data, requires_grad=True)
    mse_loss(z.sigmoid(), y).backward()
    zb = Tensor(z_data, requires_grad=True)
    L.binary_cross_entropy_with_logits(zb, y).backward()
    assert z.grad is not None and zb.grad is not None
    return z.grad, zb.grad


@register(
    "sigmoid_mse_saturation",
    "Sigmoid + MSE saturates; cross-entropy does not",
    SigmoidMseParams,
    rules=("sigmoid.vjp", "mse_loss.vjp", "softplus.vjp"),
)
@quiet_floats
def sigmoid_mse_saturation(params: SigmoidMseParams) -> Demo:
    """Run the demo: the two losses' gradients on a confidently wrong and a mildly wrong example."""
    rng = params.rng()
    c, n = params.confidence, params.batch
    # Row 0: confidently wrong (z = −c, y = 1); row 1: mildly wrong (z = −1, y = 1); then random.
    z_data = np.concatenate([[-c, -1.0], np.round(rng.uniform(-4, 4, n - 2), 2)])
    y = np.concatenate([[1.0, 1.0], rng.integers(0, 2, n - 2).astype(np.float64)])
    g_mse, g_bce = _grads(z_data, y)
    s = sigmoid(z_data)
    mse_formula = 2 * (s - y) * s * (1 - s) / n
    bce_formula = (s - y) / n
    mse_ratio = abs(g_mse[0]) / abs(g_mse[1])
    bce_ratio = abs(g_bce[0]) / abs(g_bce[1])

    grid = np.linspace(-c, c, 25)
    g_mse_grid, g_bce_grid = _grads(grid, np.ones_like(grid))
    checks = [
        Check.at_most(
            "engine's MSE gradient equals 2(σ − y)·σ(1 − σ)/n",
            max_abs_difference(g_mse, mse_formula),
            1e-12,
        ),
        Check.at_most(
            "engine's BCE-with-logits gradient equals (σ − y)/n",
            max_abs_difference(g_bce, bce_formula),
            1e-12,
        ),
        Check.at_most(
            "MSE: the confidently wrong example gets less gradient than the mildly wrong one "
            "(|g(z = −c)| / |g(z = −1)|)",
            mse_ratio,
            0.5,
        ),
        Check.at_least(
            "BCE: the confidently wrong example gets more gradient than the mildly wrong one "
            "(|g(z = −c)| / |g(z = −1)|)",
            bce_ratio,
            1.0,
        ),
        gradient_check(
            "analytic ∂L/∂z of both losses equals central differences",
            lambda v: mse_loss(v.sigmoid(), y) + L.binary_cross_entropy_with_logits(v, y),
            [z_data],
            ["∂L/∂z"],
        ),
    ]
    steps = [
        Step(
            "z (logits)", z_data, r"z \in \mathbb{R}^{n}", "row 0 confidently wrong, row 1 mildly"
        ),
        Step("y (labels)", y, r"y \in \{0, 1\}^{n}"),
        Step("σ(z)", s, r"\sigma(z)"),
        Step("∂L/∂z, MSE on σ(z)", g_mse, r"\tfrac{2}{n}(\sigma - y)\,\sigma(1 - \sigma)"),
        Step("∂L/∂z, BCE with logits", g_bce, r"\tfrac{1}{n}(\sigma - y)"),
        Step("MSE: |g(−c)| / |g(−1)|", mse_ratio, note="below 1: the worse mistake learns slower"),
        Step("BCE: |g(−c)| / |g(−1)|", bce_ratio, note="above 1: the worse mistake learns faster"),
    ]
    charts = [
        Chart(
            "|∂ℓ/∂z| for a positive example (y = 1)",
            "logit z",
            "|∂ℓ/∂z|",
            [
                Series("MSE on σ(z)", grid.tolist(), (np.abs(g_mse_grid) * 25).tolist()),
                Series("BCE with logits", grid.tolist(), (np.abs(g_bce_grid) * 25).tolist()),
            ],
        )
    ]
    return Demo(
        name="sigmoid_mse_saturation",
        title="Sigmoid + MSE saturates; cross-entropy does not",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"At z = −{c:g} with y = 1 the per-example MSE gradient is {abs(g_mse[0]) * n:.2e} "
            f"({abs(g_mse[0]):.2e} after the mean's 1/n, n = {n}), {mse_ratio:.3f}× "
            f"the mildly wrong example's; cross-entropy gives it {bce_ratio:.2f}× as much."
        ),
    )
