"""Card 9: transposed convolution, its output size, and the checkerboard of uneven overlap.

conv_transpose2d scatters each input pixel, times the kernel, into a k×k window of the output,
windows s apart: H_out = (H − 1)·s − 2p + d(k − 1) + output_padding + 1. Where k is not a
multiple of s, neighbouring outputs are covered by different numbers of windows (⌈k/s⌉ or ⌊k/s⌋
per dim), so even a constant input comes out striped: the checkerboard artefact.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.cnn.common import EXACT, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d, conv_transpose2d


class TransposedConvParams(DemoParams):
    kernel: int = Field(default=3, ge=2, le=5, description="Kernel size k.")
    stride: int = Field(default=2, ge=1, le=3, description="Stride s (the upsampling factor).")
    size: int = Field(default=6, ge=6, le=10, description="Input height and width H.")


def coverage(h: int, k: int, s: int) -> np.ndarray:
    """How many windows cover each output position along one dim (counted, no engine)."""
    counts = np.zeros((h - 1) * s + k)
    for i in range(h):
        counts[i * s : i * s + k] += 1
    return counts


@register(
    "transposed_conv",
    "Transposed convolution and the checkerboard artefact",
    TransposedConvParams,
    rules=("conv_transpose2d.forward", "conv2d.forward"),
)
def transposed_conv(params: TransposedConvParams) -> Demo:
    """Run the demo: a constant image through conv_transpose2d with an all-ones kernel."""
    rng = params.rng()
    k, s, h = params.kernel, params.stride, params.size
    level = float(rng.integers(1, 5))
    ones = np.ones((1, 1, k, k))
    up = conv_transpose2d(Tensor(np.full((1, 1, h, h), level)), Tensor(ones), stride=s).data
    row = coverage(h, k, s)
    expected = level * np.outer(row, row)
    # Steady region: past the first k − 1 positions and before the last k − 1 (engine output).
    inner = up[0, 0, k - 1 : up.shape[-1] - k + 1, k - 1 : up.shape[-1] - k + 1]
    ratio = float(inner.min() / inner.max())
    hi, lo = math.ceil(k / s), k // s
    predicted = (lo / hi) ** 2
    # The adjoint identity with random tensors and a random kernel.
    w = rng.standard_normal((2, 3, k, k))  # conv_transpose2d's layout: (C_in, C_out, k, k)
    y = rng.standard_normal((1, 2, h, h))
    z = rng.standard_normal((1, 3, (h - 1) * s + k, (h - 1) * s + k))
    lhs = float(np.sum(conv2d(Tensor(z), Tensor(w), stride=s).data * y))
    rhs = float(np.sum(z * conv_transpose2d(Tensor(y), Tensor(w), stride=s).data))
    checks = [
        Check.equal("output side = (H − 1)·s + k", up.shape[-1], (h - 1) * s + k),
        Check.at_most(
            "a constant input comes out as level × (windows covering each position) "
            "(relative error)",
            relative_error(up[0, 0], expected),
            EXACT,
        ),
        Check.equal(
            "the interior's min/max ratio is (⌊k/s⌋/⌈k/s⌉)²: 1 only when s divides k "
            "(0 when k < s: holes)",
            ratio,
            predicted,
        ),
        Check.at_most(
            "conv_transpose2d is conv2d's adjoint: ⟨conv2d(z, W), y⟩ = ⟨z, conv_transpose2d(y, W)⟩ "
            "(relative difference)",
            abs(lhs - rhs) / max(abs(lhs), 1e-12),
            1e-12,
        ),
    ]
    steps = [
        Step("input level", level),
        Step("windows covering each output position (one dim)", row),
        Step(
            "conv_transpose2d(constant, ones)[0, 0]",
            up[0, 0],
            note="stripes where s does not divide k",
        ),
        Step("interior min / max", ratio, r"\left(\lfloor k/s\rfloor / \lceil k/s\rceil\right)^2"),
        Step("⟨conv2d(z, W), y⟩", lhs),
        Step("⟨z, conv_transpose2d(y, W)⟩", rhs),
    ]
    verdict = (
        "no checkerboard: s divides k"
        if k % s == 0
        else f"a checkerboard (darkest/brightest {ratio:g})"
    )
    return Demo(
        name="transposed_conv",
        title="Transposed convolution and the checkerboard artefact",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With k = {k} and stride {s}, a constant {h}×{h} input upsamples to "
            f"{up.shape[-1]}×{up.shape[-1]} with {verdict}: each position is covered by "
            f"{lo} or {hi} windows per dim."
        ),
    )
