"""Card 12: weight sharing: one kernel used at every position, so dW sums over positions.

Untie the weights (a locally connected layer, one copy W_ij per output position) and each copy
gets the gradient g[:, i, j] ⊗ patch(i, j). Tying them back makes dW the sum of those copies'
gradients over every position and every example: the chain rule at a fan-out.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.cnn.common import EXACT, directional_check, grad_of, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d


class WeightSharingParams(DemoParams):
    batch: int = Field(default=2, ge=1, le=4, description="Batch size N.")
    c_in: int = Field(default=2, ge=1, le=3, description="Input channels.")
    c_out: int = Field(default=2, ge=1, le=3, description="Output channels.")
    size: int = Field(default=5, ge=4, le=8, description="Input height and width.")


def untied_gradients(x: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    """(N, H_out, W_out, C_out, C_in, k, k): the gradient each untied copy W_ij would get."""
    n, _, ho, wo = g.shape
    out = np.zeros((n, ho, wo, g.shape[1], x.shape[1], k, k))
    for i in range(ho):
        for j in range(wo):
            patch = x[:, :, i : i + k, j : j + k]
            out[:, i, j] = np.einsum("no,ncab->nocab", g[:, :, i, j], patch)
    return out


@register(
    "weight_sharing",
    "Weight sharing: dW sums over every position",
    WeightSharingParams,
    rules=("conv2d.vjp",),
)
def weight_sharing(params: WeightSharingParams) -> Demo:
    """Run the demo: the shared kernel's gradient against the untied copies' gradients."""
    rng = params.rng()
    n, ci, co, h, k = params.batch, params.c_in, params.c_out, params.size, 3
    x_data = rng.standard_normal((n, ci, h, h))
    w_data = rng.standard_normal((co, ci, k, k))
    w = Tensor(w_data, requires_grad=True)
    y = conv2d(Tensor(x_data), w)
    g = rng.standard_normal(y.shape)
    y.backward(gradient=g)
    dw = grad_of(w)
    copies = untied_gradients(x_data, g, k)
    positions = y.shape[2] * y.shape[3]
    # The gradient from one output position alone is that position's copy, nothing more.
    i, j = int(rng.integers(y.shape[2])), int(rng.integers(y.shape[3]))
    single = np.zeros_like(g)
    single[:, :, i, j] = g[:, :, i, j]
    w1 = Tensor(w_data, requires_grad=True)
    conv2d(Tensor(x_data), w1).backward(gradient=single)
    share = np.linalg.norm(copies.reshape(n * positions, -1), axis=1)

    def loss(xt: Tensor, wt: Tensor) -> Tensor:
        return (conv2d(xt, wt) * Tensor(g)).sum()

    checks = [
        Check.at_most(
            f"dW = the sum of the {n}×{positions} untied copies' gradients (relative error)",
            relative_error(dw, copies.sum(axis=(0, 1, 2))),
            EXACT,
        ),
        Check.at_most(
            f"a gradient at output ({i}, {j}) alone gives dW = g_ij ⊗ patch_ij (relative error)",
            relative_error(grad_of(w1), copies[:, i, j].sum(axis=0)),
            EXACT,
        ),
        Check.at_least(
            "the mean over positions is not dW: it is L times smaller (relative difference)",
            relative_error(dw / positions, dw),
            0.5,
        ),
        directional_check(
            "dW matches central differences",
            lambda wt: loss(Tensor(x_data), wt),
            [w_data],
            [dw],
            rng,
            linear=True,
        ),
    ]
    steps = [
        Step("positions sharing the kernel", positions, r"L = H_\text{out} W_\text{out}"),
        Step(
            "dW[0, 0] (engine)",
            dw[0, 0],
            r"\frac{\partial L}{\partial W} = \sum_{n}\sum_{i,j} g_{n,:,i,j} \otimes "
            r"\text{patch}_{n,i,j}",
        ),
        Step(f"one copy's gradient, position ({i}, {j}), example 0", copies[0, i, j, 0, 0]),
        Step("norm of each position's contribution (example 0)", share[:positions]),
    ]
    return Demo(
        name="weight_sharing",
        title="Weight sharing: dW sums over every position",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"One 3×3 kernel is used at {positions} positions in each of {n} images; its "
            f"gradient is the sum of the {n * positions} gradients the untied copies would get, "
            "so a conv layer's dW gathers evidence from the whole image."
        ),
    )
