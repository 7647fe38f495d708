"""Card 15: im2col: a convolution as one matrix product, forward and backward.

Unfold copies every k×k window of the padded input into a column: cols is (C_in·k², L) per
example, L = H_out·W_out. Then y = W_mat·cols with W_mat = W reshaped to (C_out, C_in·k²),
dW_mat = Σ_n G·colsᵀ and dX = fold(W_matᵀ·G), where fold adds each column back into its window.
The price is memory: cols holds each input pixel about k²/s² times.
"""

from __future__ import annotations

from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.cnn.common import EXACT, grad_of, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d, fold, unfold


class Im2colParams(DemoParams):
    c_in: int = Field(default=2, ge=1, le=4, description="Input channels.")
    c_out: int = Field(default=3, ge=1, le=4, description="Output channels.")
    kernel: int = Field(default=3, ge=1, le=5, description="Kernel size k (padding k // 2).")
    stride: int = Field(default=1, ge=1, le=2, description="Stride s.")
    size: int = Field(default=6, ge=5, le=8, description="Input height and width.")


@register(
    "im2col",
    "im2col: a convolution as one matrix product",
    Im2colParams,
    rules=("conv2d.forward", "conv2d.vjp"),
)
def im2col(params: Im2colParams) -> Demo:
    """Run the demo: unfold, one matmul, and the backward pass as two more matmuls and a fold."""
    rng = params.rng()
    ci, co, k, s, h = params.c_in, params.c_out, params.kernel, params.stride, params.size
    p = k // 2
    n = 2
    x_data = rng.standard_normal((n, ci, h, h))
    w_data = rng.standard_normal((co, ci, k, k))
    x, w = Tensor(x_data, requires_grad=True), Tensor(w_data, requires_grad=True)
    y = conv2d(x, w, stride=s, padding=p)
    g = rng.standard_normal(y.shape)
    y.backward(gradient=g)
    cols = unfold(Tensor(x_data), k, padding=p, stride=s).data  # (N, C_in·k², L)
    w_mat = w_data.reshape(co, -1)
    g_mat = g.reshape(n, co, -1)  # (N, C_out, L)
    y_mat = w_mat @ cols
    dw_mat = (g_mat @ cols.transpose(0, 2, 1)).sum(axis=0)
    dx_fold = fold(Tensor(w_mat.T @ g_mat), (h, h), k, padding=p, stride=s).data
    blow_up = cols[0].size / x_data[0].size
    checks = [
        Check.equal(
            "cols has C_in·k² rows and one column per output position",
            int(cols.shape[1:] == (ci * k * k, y.shape[2] * y.shape[3])),
            1,
        ),
        Check.at_most(
            "conv2d(x, W) = W_mat · cols (relative error)",
            relative_error(y.data, y_mat.reshape(y.shape)),
            EXACT,
        ),
        Check.at_most(
            "dW = Σ_n G · colsᵀ, reshaped like W (relative error)",
            relative_error(grad_of(w), dw_mat.reshape(w_data.shape)),
            EXACT,
        ),
        Check.at_most(
            "dX = fold(W_matᵀ · G) (relative error)", relative_error(grad_of(x), dx_fold), EXACT
        ),
    ]
    steps = [
        Step("x[0, 0]", x_data[0, 0]),
        Step(
            "cols[0] (one column per window)",
            cols[0],
            r"\text{cols} \in \mathbb{R}^{C_\text{in}k^2 \times L}",
        ),
        Step("W_mat", w_mat, r"W_\text{mat} \in \mathbb{R}^{C_\text{out}\times C_\text{in}k^2}"),
        Step("y[0] as a matrix", y_mat[0], r"Y = W_\text{mat}\,\text{cols}"),
        Step(
            "dW_mat",
            dw_mat,
            r"\frac{\partial L}{\partial W_\text{mat}} = \sum_n G_n\,\text{cols}_n^\top",
        ),
        Step("cols size / input size", blow_up, note="≈ k²/s², less at the borders"),
    ]
    return Demo(
        name="im2col",
        title="im2col: a convolution as one matrix product",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Unfolding a {ci}×{h}×{h} input with {k}×{k} windows at stride {s} gives a "
            f"{cols.shape[1]}×{cols.shape[2]} matrix, {blow_up:.2f}× the input's size; one matmul "
            "gives the convolution, and two more plus a fold give dW and dX exactly."
        ),
    )
