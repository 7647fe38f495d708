"""Card 1: the output size of a convolution with padding, stride and dilation.

H_out = floor((H + 2p − d(k − 1) − 1)/s) + 1: the dilated kernel spans d(k − 1) + 1 pixels, and
the floor counts how many strided windows fit in the padded input; the rest is dropped.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.cnn.common import EXACT, reference_conv, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d


class ConvOutputSizeParams(DemoParams):
    size: int = Field(default=9, ge=5, le=16, description="Input height and width H.")
    kernel: int = Field(default=3, ge=1, le=5, description="Kernel size k.")
    stride: int = Field(default=2, ge=1, le=3, description="Stride s.")
    padding: int = Field(default=1, ge=0, le=2, description="Zero padding p on each side.")
    dilation: int = Field(default=2, ge=1, le=3, description="Dilation d.")

    @model_validator(mode="after")
    def _window_fits(self) -> ConvOutputSizeParams:
        if self.size + 2 * self.padding < self.dilation * (self.kernel - 1) + 1:
            raise ValueError("the dilated kernel must fit in the padded input")
        return self


def formula(h: int, k: int, s: int, p: int, d: int) -> int:
    """PyTorch's floor((H + 2p − d(k − 1) − 1)/s) + 1, written out here, not the engine's."""
    return (h + 2 * p - d * (k - 1) - 1) // s + 1


def engine_size(x: np.ndarray, w: np.ndarray, s: int, p: int, d: int) -> tuple[int, np.ndarray]:
    """The engine's output side and values; side −1 when the engine refuses the geometry."""
    try:
        out = conv2d(Tensor(x), Tensor(w), stride=s, padding=p, dilation=d).data
    except ValueError:
        return -1, np.zeros(0)
    return int(out.shape[-1]), out


@register(
    "conv_output_size",
    "Convolution output size: padding, stride, dilation",
    ConvOutputSizeParams,
    rules=("conv2d.output_size", "conv2d.forward"),
)
def conv_output_size(params: ConvOutputSizeParams) -> Demo:
    """Run the demo: the engine's output shape against the formula, and the floor at work."""
    rng = params.rng()
    h, k, s, p, d = params.size, params.kernel, params.stride, params.padding, params.dilation
    x = rng.integers(-3, 4, (1, 2, h, h)).astype(float)
    w = rng.integers(-2, 3, (3, 2, k, k)).astype(float)
    side, out = engine_size(x, w, s, p, d)
    expected = formula(h, k, s, p, d)
    span = d * (k - 1) + 1
    # Inputs H .. H + s − 1 give the same output when the floor drops the remainder.
    sizes = list(range(max(span - 2 * p, 1), h + 2 * s + 1))
    engine_sides: list[float | int] = [
        engine_size(np.zeros((1, 1, n, n)), np.zeros((1, 1, k, k)), s, p, d)[0] for n in sizes
    ]
    formula_sides: list[float | int] = [formula(n, k, s, p, d) for n in sizes]
    # "Same" padding: with stride 1, p = d(k − 1)/2 keeps the size when d(k − 1) is even.
    same_p = d * (k - 1) // 2
    same_side = engine_size(x, w, 1, same_p, d)[0]
    same_expected = h if d * (k - 1) % 2 == 0 else h - 1
    checks = [
        Check.equal("the engine's output side equals the formula", side, expected),
        Check.equal(
            "over input sizes, engine sides that differ from the formula",
            sum(a != b for a, b in zip(engine_sides, formula_sides, strict=True)),
            0,
        ),
        Check.at_most(
            "the engine's values equal the window sums x_pad[i·s + p·d] (relative error)",
            relative_error(out, reference_conv(x, w, s, p, d)),
            EXACT,
        ),
        Check.equal(
            f"stride 1 with p = ⌊d(k − 1)/2⌋ = {same_p} keeps H when d(k − 1) is even "
            "(one short when it is odd)",
            same_side,
            same_expected,
        ),
    ]
    steps = [
        Step("input H", h, r"H"),
        Step("dilated kernel span", span, r"d(k-1)+1"),
        Step(
            "output side (engine)",
            side,
            r"H_\text{out} = \left\lfloor \frac{H + 2p - d(k-1) - 1}{s} \right\rfloor + 1",
        ),
        Step("output (channel 0)", out[0, 0] if side > 0 else np.zeros((1, 1))),
        Step("input sizes tried", np.array(sizes)),
        Step("output side for each (engine)", np.array(engine_sides)),
    ]
    chart = Chart(
        "Output side against input side",
        "input H",
        "H_out",
        [
            Series("engine", list(sizes), engine_sides),
            Series("formula", list(sizes), formula_sides),
        ],
        kind="line",
        y_from_zero=True,
    )
    return Demo(
        name="conv_output_size",
        title="Convolution output size: padding, stride, dilation",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"A {k}×{k} kernel at dilation {d} spans {span} pixels; on a {h}×{h} input padded by "
            f"{p} with stride {s} it fits {expected} times per side, as the engine's output shows. "
            f"Inputs of {s} consecutive sizes can share one output size: the floor drops the rest."
        ),
    )
