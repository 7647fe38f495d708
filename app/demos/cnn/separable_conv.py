"""Card 6: 1×1 and depthwise-separable convolutions, their multiply-adds counted.

A 1×1 convolution is a linear map over channels applied at every pixel. A depthwise-separable
block replaces one k×k conv (C_in → C_out) by a depthwise k×k conv (groups = C_in) and a 1×1
pointwise conv: H·W·C_in·(k² + C_out) multiply-adds instead of H·W·C_in·C_out·k², a ratio of
1/C_out + 1/k².
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.cnn.common import EXACT, reference_conv, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d, count


class SeparableConvParams(DemoParams):
    c_in: int = Field(default=8, ge=2, le=16, description="Input channels C_in.")
    c_out: int = Field(default=16, ge=2, le=32, description="Output channels C_out.")
    kernel: int = Field(default=3, ge=2, le=5, description="Kernel size k.")
    size: int = Field(default=8, ge=4, le=12, description="Height and width (kept: padding).")


def forward_macs(fn: object, *args: np.ndarray) -> tuple[int, np.ndarray]:
    """The forward FLOPs the counters record for fn(*tensors), and its output."""
    with count() as counter:
        out = fn(*(Tensor(a) for a in args))  # type: ignore[operator]
    return counter.total_flops("forward"), out.data


@register(
    "separable_conv",
    "1×1 and depthwise-separable convolutions: the multiply-adds saved",
    SeparableConvParams,
    rules=("conv2d.flops", "conv2d.forward"),
)
def separable_conv(params: SeparableConvParams) -> Demo:
    """Run the demo: count a standard conv against depthwise + pointwise, and check 1×1 = matmul."""
    rng = params.rng()
    ci, co, k, h = params.c_in, params.c_out, params.kernel, params.size
    x = rng.standard_normal((1, ci, h, h))
    w_full = rng.standard_normal((co, ci, k, k))
    w_depth = rng.standard_normal((ci, 1, k, k))
    w_point = rng.standard_normal((co, ci, 1, 1))
    # Odd k keeps the size with padding k // 2; even k loses one pixel per side, as in PyTorch.
    p = k // 2
    full, y_full = forward_macs(lambda a, b: conv2d(a, b, padding=p), x, w_full)
    depth, y_depth = forward_macs(lambda a, b: conv2d(a, b, padding=p, groups=ci), x, w_depth)
    point, y_sep = forward_macs(lambda a, b: conv2d(a, b), y_depth, w_point)
    ho = y_full.shape[-1]
    pixels = ho * ho
    ratio = (depth + point) / full
    # The 1×1 conv is W·x at each pixel: an einsum over channels, no engine code.
    matmul = np.einsum("oc,nchw->nohw", w_point[:, :, 0, 0], y_depth)
    checks = [
        Check.equal(
            "standard conv: H·W·C_in·C_out·k² multiply-adds", full, pixels * ci * co * k * k
        ),
        Check.equal("depthwise conv (groups = C_in): H·W·C_in·k²", depth, pixels * ci * k * k),
        Check.equal("pointwise 1×1 conv: H·W·C_in·C_out", point, pixels * ci * co),
        Check.at_most(
            "separable / standard = 1/C_out + 1/k² (difference)",
            abs(ratio - (1 / co + 1 / (k * k))),
            1e-12,
        ),
        Check.at_most(
            "the depthwise conv filters each channel alone (relative error to a loop)",
            relative_error(y_depth, reference_conv(x, w_depth, padding=p, groups=ci)),
            EXACT,
        ),
        Check.at_most(
            "a 1×1 conv is a matrix product over channels at every pixel (relative error)",
            relative_error(y_sep, matmul),
            EXACT,
        ),
        Check.equal("both blocks give the same output shape", int(y_sep.shape == y_full.shape), 1),
    ]
    steps = [
        Step("x[0, 0]", x[0, 0]),
        Step("standard conv multiply-adds", full, r"HW\,C_\text{in}C_\text{out}k^2"),
        Step("depthwise multiply-adds", depth, r"HW\,C_\text{in}k^2"),
        Step("pointwise multiply-adds", point, r"HW\,C_\text{in}C_\text{out}"),
        Step("separable / standard", ratio, r"\frac{1}{C_\text{out}} + \frac{1}{k^2}"),
        Step("separable output [0, 0]", y_sep[0, 0]),
    ]
    chart = Chart(
        "Multiply-adds per block",
        "block",
        "multiply-adds",
        [Series("standard, depthwise, pointwise", [0, 1, 2], [full, depth, point])],
        kind="bar",
        y_from_zero=True,
    )
    return Demo(
        name="separable_conv",
        title="1×1 and depthwise-separable convolutions: the multiply-adds saved",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"A {k}×{k} conv from {ci} to {co} channels costs {full} multiply-adds; depthwise plus "
            f"pointwise costs {depth} + {point} = {depth + point}, {ratio:.3f} of it "
            f"(1/{co} + 1/{k * k}), about {1 / ratio:.1f}× fewer."
        ),
    )
