"""Card 11: global average pooling against flatten + linear as a CNN's head.

GAP averages each channel over H×W: a K-class head needs C·K + K parameters instead of
C·H·W·K + K, works at any input size, and sends g/(H·W) back to every position.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.cnn.common import EXACT, grad_of, relative_error
from app.demos.registry import register
from app.engine import Flatten, Linear, Tensor, adaptive_avg_pool2d


class GlobalPoolingParams(DemoParams):
    channels: int = Field(default=8, ge=2, le=16, description="Feature channels C.")
    size: int = Field(default=7, ge=2, le=10, description="Feature map height and width.")
    classes: int = Field(default=5, ge=2, le=10, description="Classes K.")


def gap_head(x: Tensor, head: Linear) -> Tensor:
    """adaptive_avg_pool2d to 1×1, flatten, linear."""
    return head(Flatten()(adaptive_avg_pool2d(x, 1)))


@register(
    "global_pooling",
    "Global average pooling versus flatten + linear",
    GlobalPoolingParams,
    rules=("mean.vjp",),
)
def global_pooling(params: GlobalPoolingParams) -> Demo:
    """Run the demo: parameter counts, GAP's value and gradient, any input size."""
    rng = params.rng()
    c, h, k = params.channels, params.size, params.classes
    seed = int(rng.integers(2**31))
    gap_linear = Linear(c, k, seed=seed)
    flat_linear = Linear(c * h * h, k, seed=seed)
    x = Tensor(rng.standard_normal((2, c, h, h)), requires_grad=True)
    pooled = adaptive_avg_pool2d(x, 1)
    g = rng.standard_normal(pooled.shape)
    pooled.backward(gradient=g)
    dx = grad_of(x)
    bigger = rng.standard_normal((2, c, h + 3, h + 3))
    logits_big = gap_head(Tensor(bigger), gap_linear)
    gap_params = sum(p.data.size for p in gap_linear.parameters())
    flat_params = sum(p.data.size for p in flat_linear.parameters())
    rolled = np.roll(x.data, (1, 2), axis=(2, 3))
    checks = [
        Check.equal("GAP head parameters: C·K + K", gap_params, c * k + k),
        Check.equal("flatten head parameters: C·H·W·K + K", flat_params, c * h * h * k + k),
        Check.at_most(
            "GAP is each channel's mean over H×W (relative error)",
            relative_error(pooled.data, x.data.mean(axis=(2, 3), keepdims=True)),
            EXACT,
        ),
        Check.at_most(
            "GAP's gradient is g/(H·W) at every position (relative error)",
            relative_error(dx, np.broadcast_to(g / (h * h), dx.shape)),
            EXACT,
        ),
        Check.equal(
            f"the same GAP head classifies a {h + 3}×{h + 3} map (logits per image)",
            logits_big.shape[1],
            k,
        ),
        Check.at_most(
            "a circular shift of the map leaves GAP unchanged (relative difference)",
            relative_error(adaptive_avg_pool2d(Tensor(rolled), 1).data, pooled.data),
            EXACT,
        ),
    ]
    steps = [
        Step("x[0, 0] (one channel)", x.data[0, 0]),
        Step(
            "GAP(x)[0] (one number per channel)",
            pooled.data[0, :, 0, 0],
            r"\frac{1}{HW}\sum_{i,j} x_{cij}",
        ),
        Step("g = ∂L/∂GAP [0]", g[0, :, 0, 0]),
        Step("∂L/∂x[0, 0]", dx[0, 0], r"\frac{\partial L}{\partial x_{cij}} = \frac{g_c}{HW}"),
        Step("GAP head parameters", gap_params, r"CK + K"),
        Step("flatten head parameters", flat_params, r"CHWK + K"),
    ]
    chart = Chart(
        "Head parameters",
        "head",
        "parameters",
        [Series("GAP, flatten", [0, 1], [gap_params, flat_params])],
        kind="bar",
        y_from_zero=True,
    )
    return Demo(
        name="global_pooling",
        title="Global average pooling versus flatten + linear",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"On {c}×{h}×{h} features with {k} classes, the GAP head has {gap_params} parameters "
            f"and flatten + linear {flat_params} ({flat_params / gap_params:.0f}×). GAP's gradient "
            f"is g/{h * h} everywhere, and the same head takes a {h + 3}×{h + 3} map."
        ),
    )
