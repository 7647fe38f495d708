"""Card 4: how the receptive field grows with depth, stride and dilation.

r_L = 1 + Σ_l (k − 1)·d_l·Π_{i<l} s_i: each layer adds its dilated kernel's extra reach, in
units of the input pixels one step of its input covers (the product of the earlier strides).
The demo measures it as the extent of the input gradient of one output pixel.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.cnn.common import directional_check, grad_of
from app.demos.registry import register
from app.engine import Tensor, conv2d


class ReceptiveFieldParams(DemoParams):
    depth: int = Field(default=3, ge=1, le=4, description="Conv layers L.")
    kernel: int = Field(default=3, ge=2, le=4, description="Kernel size k of every layer.")
    stride: int = Field(default=2, ge=1, le=2, description="Stride of every layer but the last.")
    dilation: int = Field(default=1, ge=1, le=2, description="Dilation of the last layer.")


def layer_settings(params: ReceptiveFieldParams) -> list[tuple[int, int, int]]:
    """(k, s, d) per layer: strided layers, then a dilated last layer."""
    k, s, d, depth = params.kernel, params.stride, params.dilation, params.depth
    return [(k, s if i < depth - 1 else 1, d if i == depth - 1 else 1) for i in range(depth)]


def formula(settings: list[tuple[int, int, int]]) -> list[int]:
    """r after each layer: r += (k − 1)·d·jump, jump *= s."""
    r, jump, out = 1, 1, []
    for k, s, d in settings:
        r += (k - 1) * d * jump
        jump *= s
        out.append(r)
    return out


@register(
    "receptive_field",
    "Receptive field growth with depth, stride and dilation",
    ReceptiveFieldParams,
    rules=("conv2d.vjp",),
)
def receptive_field(params: ReceptiveFieldParams) -> Demo:
    """Run the demo: the support of one output pixel's input gradient, layer by layer."""
    rng = params.rng()
    settings = layer_settings(params)
    expected = formula(settings)
    r = expected[-1]
    # An input of exactly r pixels gives one output pixel: r is the smallest input that fits.
    x_data = rng.standard_normal((1, 1, r, r))
    kernels = [rng.uniform(0.5, 1.5, (1, 1, k, k)) for k, _, _ in settings]

    def forward(x: Tensor, upto: int) -> Tensor:
        h = x
        for (_, s, d), w in zip(settings[:upto], kernels[:upto], strict=True):
            h = conv2d(h, Tensor(w), stride=s, dilation=d)
        return h

    measured: list[float | int] = []
    grads: list[np.ndarray] = []
    for upto in range(1, len(settings) + 1):
        x = Tensor(x_data, requires_grad=True)
        y = forward(x, upto)
        centre = np.zeros(y.shape)
        centre[0, 0, 0, 0] = 1.0  # the first output pixel: its window starts at the corner
        y.backward(gradient=centre)
        rows = np.nonzero(np.abs(grad_of(x)[0, 0]).sum(axis=1))[0]
        measured.append(int(rows.max() - rows.min() + 1))
        grads.append(grad_of(x))
    y_last = forward(Tensor(x_data), len(settings))

    def loss(x: Tensor) -> Tensor:
        return forward(x, len(settings))[0, 0, 0, 0]

    checks = [
        Check.equal(
            "layers whose measured extent differs from 1 + Σ (k − 1)·d·Π earlier strides",
            sum(a != b for a, b in zip(measured, expected, strict=True)),
            0,
        ),
        Check.equal(
            "an input of exactly r_L pixels gives a single output pixel", y_last.shape[-1], 1
        ),
        directional_check(
            "the input gradient matches central differences",
            loss,
            [x_data],
            [grads[-1]],
            rng,
            linear=True,
        ),
    ]
    steps = [
        Step("layers (k, s, d)", np.array(settings)),
        Step(
            "receptive field by formula",
            np.array(expected),
            r"r_l = r_{l-1} + (k_l - 1)\,d_l \prod_{i<l} s_i",
        ),
        Step("receptive field measured (gradient extent)", np.array(measured)),
        Step("∂y/∂x of the output pixel (last layer)", grads[-1][0, 0]),
    ]
    chart = Chart(
        "Receptive field by layer",
        "layer",
        "receptive field (pixels)",
        [Series("measured", list(range(1, len(measured) + 1)), measured)],
        kind="bar",
        y_from_zero=True,
    )
    return Demo(
        name="receptive_field",
        title="Receptive field growth with depth, stride and dilation",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Layers (k, s, d) = {settings} see {', '.join(map(str, measured))} input pixels "
            "after each layer, as the formula predicts: a stride multiplies what every later "
            "layer adds, a dilation multiplies its own layer's reach."
        ),
    )
