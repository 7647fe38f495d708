"""Card 7: a convolution is translation equivariant; pooling over all positions makes it invariant.

Shift the input and a stride-1 convolution's output shifts by the same amount (away from the
borders); a global pool of that output does not change at all. Subsampling (stride 2) keeps
equivariance only for shifts that are multiples of the stride.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.cnn.common import EXACT, reference_conv, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d, relu

SIZE = 16


class TranslationParams(DemoParams):
    shift: int = Field(default=2, ge=1, le=3, description="Shift (rows and columns) of the input.")
    kernel: int = Field(default=3, ge=1, le=5, description="Kernel size k (padding k // 2).")
    channels: int = Field(default=3, ge=1, le=4, description="Output channels.")


def shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """a moved down by dy and right by dx (the margin is zero, so nothing wraps)."""
    return np.roll(a, (dy, dx), axis=(-2, -1))


def features(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """relu(conv(x)) from the engine."""
    return relu(conv2d(Tensor(x), Tensor(w), stride=stride, padding=w.shape[-1] // 2)).data


@register(
    "translation_equivariance",
    "Translation equivariance of a conv, invariance of a global pool",
    TranslationParams,
    rules=("conv2d.forward",),
)
def translation_equivariance(params: TranslationParams) -> Demo:
    """Run the demo: shift an image and compare feature maps and pooled features."""
    rng = params.rng()
    t, k, c = params.shift, params.kernel, params.channels
    x = np.zeros((1, 2, SIZE, SIZE))
    # An object in the middle, zeros around it wider than the shift plus the kernel's reach.
    x[:, :, 5:10, 5:10] = rng.standard_normal((1, 2, 5, 5))
    w = rng.standard_normal((c, 2, k, k))
    xs = shifted(x, t, t)
    f, fs = features(x, w, 1), features(xs, w, 1)
    conv_x = conv2d(Tensor(x), Tensor(w), padding=k // 2).data
    equivariance = relative_error(fs, shifted(f, t, t))
    gap, gap_shifted = f.mean(axis=(2, 3)), fs.mean(axis=(2, 3))
    gmp, gmp_shifted = f.max(axis=(2, 3)), fs.max(axis=(2, 3))
    # Stride 2: a shift of 2 moves the output by 1; a shift of 1 samples other pixels.
    f2 = features(x, w, 2)
    even = relative_error(features(shifted(x, 2, 2), w, 2), shifted(f2, 1, 1))
    odd = features(shifted(x, 1, 1), w, 2)
    odd_gap_change = relative_error(odd.mean(axis=(2, 3)), f2.mean(axis=(2, 3)))
    checks = [
        Check.at_most(
            "the engine's conv equals the cross-correlation loop (relative error)",
            relative_error(conv_x, reference_conv(x, w, padding=k // 2)),
            EXACT,
        ),
        Check.at_most(
            f"equivariance: features of the input shifted by {t} = features shifted by {t}",
            equivariance,
            EXACT,
        ),
        Check.at_most(
            "invariance: global average and max pools are unchanged by the shift",
            max(relative_error(gap_shifted, gap), relative_error(gmp_shifted, gmp)),
            EXACT,
        ),
        Check.at_most("stride 2, shift 2: the output moves by exactly 1", even, EXACT),
        Check.at_least(
            "stride 2, shift 1: even the global average of the output changes (relative)",
            odd_gap_change,
            1e-3,
        ),
    ]
    steps = [
        Step("x[0, 0]", x[0, 0], note="an object on a zero background"),
        Step(f"x shifted by ({t}, {t})", xs[0, 0]),
        Step("relu(conv(x))[0, 0]", f[0, 0]),
        Step("relu(conv(shifted x))[0, 0]", fs[0, 0], note="the same map, moved"),
        Step("global average pool", gap[0]),
        Step("global average pool, shifted input", gap_shifted[0]),
        Step("stride 2: global average, input shifted by 1", odd.mean(axis=(2, 3))[0]),
        Step("stride 2: global average, unshifted input", f2.mean(axis=(2, 3))[0]),
    ]
    return Demo(
        name="translation_equivariance",
        title="Translation equivariance of a conv, invariance of a global pool",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Shifting the input by {t} pixels shifted every feature map by {t} and left the "
            "globally pooled features unchanged. With stride 2, a one-pixel shift changed even "
            f"the pooled features by {odd_gap_change:.1%}: subsampling breaks equivariance."
        ),
    )
