"""Card 6: softplus(x) = (1/β) log(1 + e^(βx)) is a smooth ReLU whose derivative is σ(βx); it sits
at most log(2)/β above ReLU, and PyTorch returns x itself (slope 1) where βx > threshold."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, relative_difference, stable_sigmoid
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import finite_difference_checks
from app.demos.registry import register
from app.engine import Tensor, softplus

THRESHOLD = 20.0  # torch.nn.Softplus's default


class SoftplusSigmoidParams(DemoParams):
    beta: float = Field(default=1.0, ge=0.5, le=8.0, description="Sharpness β.")
    points: int = Field(default=8, ge=3, le=32, description="Random points x in [−4, 4].")


@register(
    "softplus_sigmoid",
    "Softplus: a smooth ReLU whose slope is the sigmoid",
    SoftplusSigmoidParams,
    rules=("softplus.vjp",),
)
def softplus_sigmoid(params: SoftplusSigmoidParams) -> Demo:
    """Run the demo: softplus: a smooth ReLU whose slope is the sigmoid."""
    rng = params.rng()
    beta = params.beta
    x = np.round(rng.uniform(-4.0, 4.0, params.points), 3)

    def sp(v: Tensor) -> Tensor:
        return softplus(v, beta=beta, threshold=THRESHOLD)

    slope = engine_grad(sp, x)
    values = sp(Tensor(x)).data
    gap = values - np.maximum(x, 0)
    at_zero = float(sp(Tensor(np.zeros(1))).data[0])
    far = np.array([THRESHOLD / beta + 1.0, THRESHOLD / beta + 5.0])  # βx above the threshold
    far_values, far_slope = sp(Tensor(far)).data, engine_grad(sp, far)
    checks = [
        Check.at_most(
            f"engine's softplus′(x) equals σ(βx), and 1 where βx > {THRESHOLD:g} (relative)",
            relative_difference(
                slope, np.where(beta * x > THRESHOLD, 1.0, stable_sigmoid(beta * x))
            ),
            1e-12,
        ),
        Check.at_most(
            "softplus − ReLU is largest at 0, where it is log(2)/β (|softplus(0) − log 2/β|)",
            abs(at_zero - math.log(2) / beta),
            1e-15,
        ),
        Check.between(
            "softplus − ReLU stays in (0, log(2)/β] at the random points (largest gap · β/log 2)",
            float(gap.max()) * beta / math.log(2),
            1e-300,
            1.0,
        ),
        Check.equal(
            f"above βx = {THRESHOLD:g} the engine returns x itself, as torch (entries differing)",
            int(np.count_nonzero(far_values != far)),
            0,
        ),
        Check.equal(
            "and its slope there is exactly 1 (entries differing)",
            int(np.count_nonzero(far_slope != 1.0)),
            0,
        ),
    ]
    checks += finite_difference_checks(lambda v: sp(v).sum() * 2.0, [x], ["∂Σ softplus/∂x"])
    curve = np.linspace(-4, 4, 33)
    steps = [
        Step("x", x),
        Step(
            "softplus(x)", values, r"\mathrm{softplus}_\beta(x) = \tfrac1\beta\log(1+e^{\beta x})"
        ),
        Step("softplus′(x) by the engine", slope, r"\mathrm{softplus}_\beta'(x) = \sigma(\beta x)"),
        Step(
            "softplus(x) − ReLU(x)",
            gap,
            r"0 < \mathrm{softplus}_\beta(x) - \max(0,x) \le \tfrac{\log 2}{\beta}",
        ),
        Step(f"x with βx > {THRESHOLD:g}, and softplus there", f"{far} → {far_values}"),
    ]
    charts = [
        Chart(
            "Softplus slope against ReLU's",
            "x",
            "slope",
            [
                Series("softplus′ = σ(βx)", curve.tolist(), engine_grad(sp, curve).tolist()),
                Series("ReLU′", curve.tolist(), (curve > 0).astype(float).tolist()),
            ],
        )
    ]
    return Demo(
        name="softplus_sigmoid",
        title="Softplus: a smooth ReLU whose slope is the sigmoid",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With β = {beta:g}, softplus′ is σ({beta:g}x) at every point, softplus sits at most "
            f"log 2/β = {math.log(2) / beta:.4f} above ReLU, and above βx = {THRESHOLD:g} it "
            "is x with slope exactly 1."
        ),
    )
