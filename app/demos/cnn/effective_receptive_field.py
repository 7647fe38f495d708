"""Card 14: the effective receptive field is much smaller than the theoretical one.

Through L linear 3×3 layers with positive weights, the gradient of one output pixel over the
input is the full convolution of the L kernels: a sum of L independent offsets, so its variance
is the sum of the layers' variances and its width grows like √L, while the theoretical field
(2L + 1 pixels) grows like L (Luo et al., 2016).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.cnn.common import EXACT, grad_of, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d


class EffectiveReceptiveFieldParams(DemoParams):
    depth: int = Field(default=8, ge=2, le=12, description="3×3 conv layers L.")


def full_convolution(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Every product a[i, j]·b[p, q] added at (i + p, j + q): the full 2-D convolution."""
    out = np.zeros((a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1))
    for p in range(b.shape[0]):
        for q in range(b.shape[1]):
            out[p : p + a.shape[0], q : q + a.shape[1]] += b[p, q] * a
    return out


def row_variance(weights: np.ndarray) -> float:
    """The variance of the row offset under the weights, read as a distribution."""
    rows = weights.sum(axis=1) / weights.sum()
    offsets = np.arange(len(rows))
    mean = float(rows @ offsets)
    return float(rows @ (offsets - mean) ** 2)


@register(
    "effective_receptive_field",
    "The effective receptive field is smaller than the theoretical one",
    EffectiveReceptiveFieldParams,
    rules=("conv2d.vjp",),
)
def effective_receptive_field(params: EffectiveReceptiveFieldParams) -> Demo:
    """Run the demo: one output pixel's input gradient through L positive 3×3 layers."""
    rng = params.rng()
    depth = params.depth
    kernels = [rng.uniform(0.5, 1.5, (3, 3)) for _ in range(depth)]
    side = 2 * depth + 1  # the theoretical receptive field: exactly one output pixel
    x = Tensor(rng.standard_normal((1, 1, side, side)), requires_grad=True)
    h = x
    for w in kernels:
        h = conv2d(h, Tensor(w.reshape(1, 1, 3, 3)))
    h.backward(gradient=np.ones(h.shape))
    erf = grad_of(x)[0, 0]
    composite = kernels[0]
    for w in kernels[1:]:
        composite = full_convolution(composite, w)
    sigma = math.sqrt(row_variance(erf))
    predicted = math.sqrt(sum(row_variance(w) for w in kernels))
    # Width relative to the theoretical radius, layer by layer (prefixes of the same stack).
    widths = [math.sqrt(sum(row_variance(w) for w in kernels[:n])) / n for n in range(1, depth + 1)]
    mass = erf / erf.sum()
    half = depth // 2
    centre = mass[depth - half : depth + half + 1, depth - half : depth + half + 1].sum()
    checks = [
        Check.at_most(
            "the engine's input gradient equals the full convolution of the L kernels "
            "(relative error)",
            relative_error(erf, composite),
            EXACT,
        ),
        Check.at_most(
            "variances add: σ² of the gradient's spread = Σ of the layers' σ² (relative error)",
            abs(sigma**2 - predicted**2) / predicted**2,
            1e-10,
        ),
        Check.at_most(
            "the spread σ is at most √L pixels, against a theoretical radius of L",
            sigma / math.sqrt(depth),
            1.0,
        ),
        Check.at_least(
            "σ/L shrinks with depth: first layer's σ/1 over the last's σ/L",
            widths[0] / widths[-1],
            1.0 + 1e-9,
        ),
    ]
    steps = [
        Step("theoretical receptive field (pixels per side)", side, r"2L + 1"),
        Step("∂y/∂x over the input (the ERF, unnormalised)", erf),
        Step(
            "spread σ of the ERF (pixels, one axis)",
            sigma,
            r"\sigma = \sqrt{\textstyle\sum_l \sigma_l^2}",
        ),
        Step("σ / theoretical radius L, by depth", np.array(widths)),
        Step(
            f"gradient mass in the central {2 * half + 1}×{2 * half + 1} of {side}×{side}",
            float(centre),
        ),
    ]
    profile = mass.sum(axis=1)
    chart = Chart(
        "ERF profile across the theoretical field (one axis)",
        "input row − centre",
        "share of the gradient",
        [Series("ERF", [i - depth for i in range(side)], [float(v) for v in profile])],
        kind="bar",
        y_from_zero=True,
    )
    return Demo(
        name="effective_receptive_field",
        title="The effective receptive field is smaller than the theoretical one",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"After {depth} 3×3 layers the theoretical field is {side}×{side}, but the gradient "
            f"spreads with σ = {sigma:.2f} pixels ({sigma / depth:.2f} of the radius) and the "
            f"central {2 * half + 1}×{2 * half + 1} holds {centre:.0%} of it."
        ),
    )
