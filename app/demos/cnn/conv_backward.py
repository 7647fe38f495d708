"""Card 3: backward through a convolution.

dW is the cross-correlation of the input with the upstream gradient (summed over the batch);
dX is the "full" convolution of the upstream gradient with the kernel rotated by 180°, after
spreading the gradient out with s − 1 zeros between entries when the stride is s; db sums g.
Every reference here is a NumPy loop over the definitions, independent of the engine's rules.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.cnn.common import EXACT, directional_check, grad_of, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d


class ConvBackwardParams(DemoParams):
    batch: int = Field(default=2, ge=1, le=3, description="Batch size N.")
    c_in: int = Field(default=2, ge=1, le=3, description="Input channels.")
    c_out: int = Field(default=2, ge=1, le=3, description="Output channels.")
    kernel: int = Field(default=3, ge=2, le=4, description="Kernel size k.")
    stride: int = Field(default=1, ge=1, le=2, description="Stride s.")
    padding: int = Field(default=1, ge=0, le=2, description="Zero padding p.")
    size: int = Field(default=6, ge=5, le=8, description="Input height and width.")


def reference_dw(x: np.ndarray, g: np.ndarray, k: int, s: int, p: int) -> np.ndarray:
    """dW[o, c, a, b] = Σ_{n,i,j} g[n, o, i, j]·x_pad[n, c, i·s + a, j·s + b]."""
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ho, wo = g.shape[2:]
    dw = np.zeros((g.shape[1], x.shape[1], k, k))
    for a in range(k):
        for b in range(k):
            window = xp[:, :, a : a + s * (ho - 1) + 1 : s, b : b + s * (wo - 1) + 1 : s]
            dw[:, :, a, b] = np.einsum("noij,ncij->oc", g, window)
    return dw


def reference_dx_full(x_shape: tuple, w: np.ndarray, g: np.ndarray, s: int, p: int) -> np.ndarray:
    """dX as a full convolution: dilate g by s, pad by k − 1, correlate with W rotated 180°,
    then crop the padding p."""
    n, c_in, h, wd = x_shape
    k = w.shape[2]
    ho, wo = g.shape[2:]
    spread = np.zeros((n, g.shape[1], s * (ho - 1) + 1, s * (wo - 1) + 1))
    spread[:, :, ::s, ::s] = g
    hp, wp = h + 2 * p, wd + 2 * p
    # Pad to the full size: k − 1 before, and enough after to cover rows the stride skipped.
    framed = np.zeros((n, g.shape[1], hp + k - 1, wp + k - 1))
    framed[:, :, k - 1 : k - 1 + spread.shape[2], k - 1 : k - 1 + spread.shape[3]] = spread
    rotated = w[:, :, ::-1, ::-1]
    full = np.zeros((n, c_in, hp, wp))
    for a in range(k):
        for b in range(k):
            full += np.einsum(
                "noij,oc->ncij", framed[:, :, a : a + hp, b : b + wp], rotated[:, :, a, b]
            )
    return full[:, :, p : p + h, p : p + wd]


def reference_dx_unflipped(
    x_shape: tuple, w: np.ndarray, g: np.ndarray, s: int, p: int
) -> np.ndarray:
    """The classic slip: the same full convolution with the kernel NOT rotated."""
    return reference_dx_full(x_shape, w[:, :, ::-1, ::-1], g, s, p)


@register(
    "conv_backward",
    "Backward through a convolution: dW, dX and db",
    ConvBackwardParams,
    rules=("conv2d.vjp",),
)
def conv_backward(params: ConvBackwardParams) -> Demo:
    """Run the demo: the engine's dW, dX, db against the correlation and full-convolution loops."""
    rng = params.rng()
    n, ci, co, k = params.batch, params.c_in, params.c_out, params.kernel
    s, p, h = params.stride, params.padding, params.size
    x_data = rng.standard_normal((n, ci, h, h))
    w_data = rng.standard_normal((co, ci, k, k))
    b_data = rng.standard_normal(co)
    x, w, b = (Tensor(v, requires_grad=True) for v in (x_data, w_data, b_data))
    y = conv2d(x, w, b, stride=s, padding=p)
    g = rng.standard_normal(y.shape)
    y.backward(gradient=g)
    dx, dw, db = grad_of(x), grad_of(w), grad_of(b)
    dx_full = reference_dx_full(x_data.shape, w_data, g, s, p)
    dx_slip = reference_dx_unflipped(x_data.shape, w_data, g, s, p)

    def loss(xt: Tensor, wt: Tensor, bt: Tensor) -> Tensor:
        return (conv2d(xt, wt, bt, stride=s, padding=p) * Tensor(g)).sum()

    checks = [
        Check.at_most(
            "dW equals the correlation of x with g, summed over the batch (relative error)",
            relative_error(dw, reference_dw(x_data, g, k, s, p)),
            EXACT,
        ),
        Check.at_most(
            "dX equals the full convolution of g (stride-dilated) with W rotated 180° "
            "(relative error)",
            relative_error(dx, dx_full),
            EXACT,
        ),
        Check.at_most(
            "db equals Σ g over N, H_out, W_out", relative_error(db, g.sum(axis=(0, 2, 3))), EXACT
        ),
        Check.at_least(
            "the unrotated kernel is wrong: it differs from dX (relative difference)",
            relative_error(dx_slip, dx),
            1e-2,
        ),
        directional_check(
            "dX, dW, db match central differences of L = Σ g ⊙ conv2d(x, W, b)",
            loss,
            [x_data, w_data, b_data],
            [dx, dw, db],
            rng,
            linear=True,
        ),
    ]
    steps = [
        Step("x[0, 0]", x_data[0, 0], r"x \in \mathbb{R}^{N\times C_\text{in}\times H\times W}"),
        Step(
            "W[0, 0]",
            w_data[0, 0],
            r"W \in \mathbb{R}^{C_\text{out}\times C_\text{in}\times k\times k}",
        ),
        Step(
            "g[0, 0] = ∂L/∂y",
            g[0, 0],
            r"g \in \mathbb{R}^{N\times C_\text{out}\times H_\text{out}\times W_\text{out}}",
        ),
        Step(
            "dW[0, 0] (engine)",
            dw[0, 0],
            r"\frac{\partial L}{\partial W_{ocab}} = \sum_{n,i,j} g_{noij}\,"
            r"x^\text{pad}_{nc,\,is+a,\,js+b}",
        ),
        Step(
            "dX[0, 0] (engine)",
            dx[0, 0],
            r"\frac{\partial L}{\partial X} = \text{full-conv}"
            r"\big(\text{dilate}_s(g),\ \text{rot}_{180}(W)\big)",
        ),
        Step("dX[0, 0] with the kernel not rotated (wrong)", dx_slip[0, 0]),
        Step("db (engine)", db, r"\frac{\partial L}{\partial b_o} = \sum_{n,i,j} g_{noij}"),
    ]
    slip = relative_error(dx_slip, dx)
    return Demo(
        name="conv_backward",
        title="Backward through a convolution: dW, dX and db",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"For a {k}×{k} conv with stride {s} and padding {p}, the engine's dW is the "
            "correlation of x with g, its dX the full convolution of the (stride-dilated) g with "
            f"the rotated kernel; without the rotation dX is off by {slip:.0%}."
        ),
    )
