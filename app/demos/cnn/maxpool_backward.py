"""Card 5: max-pool backward sends each output's gradient to its window's argmax only.

Among tied maxima PyTorch's CPU kernel picks the first in row-major order within the window;
an input that is the maximum of several overlapping windows collects all their gradients.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.cnn.common import EXACT, directional_check, grad_of, relative_error
from app.demos.registry import register
from app.engine import Tensor, max_pool2d


class MaxpoolBackwardParams(DemoParams):
    kernel: int = Field(default=2, ge=2, le=3, description="Window size k.")
    stride: int = Field(default=2, ge=1, le=3, description="Stride s (s < k: windows overlap).")
    size: int = Field(default=6, ge=4, le=8, description="Input height and width.")

    @model_validator(mode="after")
    def _fits(self) -> MaxpoolBackwardParams:
        if self.size < self.kernel:
            raise ValueError("the window must fit in the input")
        return self


def reference_route(x: np.ndarray, g: np.ndarray, k: int, s: int) -> np.ndarray:
    """Each output's gradient added at the first maximum (row-major) of its window."""
    dx = np.zeros_like(x)
    n, c, ho, wo = g.shape
    for a in range(n):
        for b in range(c):
            for i in range(ho):
                for j in range(wo):
                    window = x[a, b, i * s : i * s + k, j * s : j * s + k]
                    p, q = divmod(int(np.argmax(window)), k)  # argmax: first maximum
                    dx[a, b, i * s + p, j * s + q] += g[a, b, i, j]
    return dx


@register(
    "maxpool_backward",
    "Max-pool backward: the gradient goes to the argmax",
    MaxpoolBackwardParams,
    rules=("max_pool2d.vjp",),
)
def maxpool_backward(params: MaxpoolBackwardParams) -> Demo:
    """Run the demo: route the gradient by hand and compare, with ties planted."""
    rng = params.rng()
    k, s, h = params.kernel, params.stride, params.size
    # Small integers make ties common; one window is made all-equal on purpose.
    x_data = rng.integers(0, 4, (1, 2, h, h)).astype(float)
    x_data[0, 0, :k, :k] = 3.0
    x = Tensor(x_data, requires_grad=True)
    y = max_pool2d(x, k, s)
    g = rng.integers(1, 6, y.shape).astype(float)
    y.backward(gradient=g)
    dx = grad_of(x)
    expected = reference_route(x_data, g, k, s)
    windows = y.shape[2] * y.shape[3] * y.shape[1]
    # Ties: the all-equal corner window must give its whole gradient to its top-left cell.
    corner = dx[0, 0, :k, :k].copy()
    if s < k:  # overlapping windows may add into the corner block too; isolate window (0, 0)
        only = np.zeros_like(g)
        only[0, 0, 0, 0] = g[0, 0, 0, 0]
        xt = Tensor(x_data, requires_grad=True)
        max_pool2d(xt, k, s).backward(gradient=only)
        corner = grad_of(xt)[0, 0, :k, :k]
    first = np.zeros((k, k))
    first[0, 0] = g[0, 0, 0, 0]
    smooth = rng.standard_normal(x_data.shape)  # no ties: a central difference is valid

    def loss(v: Tensor) -> Tensor:
        return (max_pool2d(v, k, s) * Tensor(g)).sum()

    xs = Tensor(smooth, requires_grad=True)
    loss(xs).backward()
    checks = [
        Check.at_most(
            "the engine's dX equals g routed to each window's first maximum (relative error)",
            relative_error(dx, expected),
            EXACT,
        ),
        Check.equal(
            "the gradient is conserved: Σ dX − Σ g",
            float(dx.sum() - g.sum()),
            0,
        ),
        Check.at_most(
            "an all-tied window gives its whole gradient to its top-left cell",
            float(np.max(np.abs(corner - first))),
            0.0,
        ),
        Check.at_most(
            "cells that are no window's maximum get exactly 0",
            float(np.max(np.abs(dx[expected == 0]), initial=0.0)),
            0.0,
        ),
        directional_check(
            "on an input without ties, dX matches central differences",
            loss,
            [smooth],
            [grad_of(xs)],
            rng,
        ),
    ]
    steps = [
        Step("x[0, 0]", x_data[0, 0], note="small integers, so ties are common"),
        Step("y = max_pool2d(x)[0, 0]", y.data[0, 0], rf"k = {k}, s = {s}"),
        Step("g[0, 0]", g[0, 0]),
        Step("dX[0, 0] (engine)", dx[0, 0], note="nonzero only at each window's first maximum"),
    ]
    return Demo(
        name="maxpool_backward",
        title="Max-pool backward: the gradient goes to the argmax",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Over {windows} windows of {k}×{k} at stride {s}, the gradient reached "
            f"{int(np.count_nonzero(dx))} input cells of {dx.size}: one per window at most, the "
            "first maximum when tied, with overlapping windows adding up."
        ),
    )
