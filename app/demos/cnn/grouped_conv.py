"""Card 13: grouped convolutions: g independent convolutions over channel slices.

groups = g splits the C_in input channels into g slices of C_in/g and the C_out filters into g
sets; set i sees only slice i. Parameters and multiply-adds both drop by g; no information
crosses between groups (hence ShuffleNet's channel shuffle, or a 1×1 conv after).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.cnn.common import EXACT, directional_check, grad_of, reference_conv, relative_error
from app.demos.registry import register
from app.engine import Tensor, conv2d, count


class GroupedConvParams(DemoParams):
    groups: int = Field(default=2, ge=1, le=4, description="Groups g.")
    per_group_in: int = Field(default=2, ge=1, le=3, description="Input channels per group.")
    per_group_out: int = Field(default=3, ge=1, le=3, description="Output channels per group.")
    size: int = Field(default=6, ge=3, le=8, description="Height and width.")


@register(
    "grouped_conv",
    "Grouped convolutions: independent convolutions on channel slices",
    GroupedConvParams,
    rules=("conv2d.forward", "conv2d.flops", "conv2d.vjp"),
)
def grouped_conv(params: GroupedConvParams) -> Demo:
    """Run the demo: a grouped conv against separate convs, its cost, and its blocked gradient."""
    rng = params.rng()
    g, a, b, h = params.groups, params.per_group_in, params.per_group_out, params.size
    ci, co, k = g * a, g * b, 3
    x_data = rng.standard_normal((1, ci, h, h))
    w_data = rng.standard_normal((co, a, k, k))
    with count() as counter:
        y = conv2d(Tensor(x_data), Tensor(w_data), padding=1, groups=g).data
    grouped_macs = counter.total_flops("forward")
    with count() as counter:
        conv2d(Tensor(x_data), Tensor(rng.standard_normal((co, ci, k, k))), padding=1)
    dense_macs = counter.total_flops("forward")
    # Group i's outputs from group i's inputs alone, by the loop (no engine code).
    separate = np.concatenate(
        [
            reference_conv(x_data[:, i * a : (i + 1) * a], w_data[i * b : (i + 1) * b], padding=1)
            for i in range(g)
        ],
        axis=1,
    )
    # Change the last group's input: the first group's outputs and dW do not move.
    moved = x_data.copy()
    moved[:, ci - a :] += rng.standard_normal((1, a, h, h))
    up = rng.standard_normal(y.shape)

    def dw_of(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = Tensor(w_data, requires_grad=True)
        xt = Tensor(x, requires_grad=True)
        conv2d(xt, w, padding=1, groups=g).backward(gradient=up)
        return grad_of(w), grad_of(xt)

    dw, dx = dw_of(x_data)
    dw_moved, _ = dw_of(moved)
    first_block_change = relative_error(dw_moved[:b], dw[:b]) if g > 1 else 0.0

    def loss(xt: Tensor, wt: Tensor) -> Tensor:
        return (conv2d(xt, wt, padding=1, groups=g) * Tensor(up)).sum()

    checks = [
        Check.at_most(
            "the grouped conv equals g separate convs on channel slices, concatenated "
            "(relative error)",
            relative_error(y, separate),
            EXACT,
        ),
        Check.equal("weight parameters: C_out·(C_in/g)·k²", w_data.size, co * (ci // g) * k * k),
        Check.equal("multiply-adds: H·W·C_out·(C_in/g)·k²", grouped_macs, h * h * co * a * k * k),
        Check.equal("the dense conv (groups = 1) costs g times more", dense_macs, g * grouped_macs),
        Check.at_most(
            "changing the last group's input leaves the first group's dW unchanged",
            first_block_change,
            0.0,
        ),
        directional_check(
            "dX and dW match central differences",
            loss,
            [x_data, w_data],
            [dx, dw],
            rng,
            linear=True,
        ),
    ]
    steps = [
        Step("C_in, C_out, groups", np.array([ci, co, g])),
        Step("weight shape", np.array(w_data.shape), r"(C_\text{out}, C_\text{in}/g, k, k)"),
        Step("grouped multiply-adds", grouped_macs),
        Step("dense multiply-adds", dense_macs),
        Step("y[0, 0]", y[0, 0]),
    ]
    return Demo(
        name="grouped_conv",
        title="Grouped convolutions: independent convolutions on channel slices",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With {g} groups of {a} → {b} channels, the layer has {w_data.size} weights and "
            f"costs {grouped_macs} multiply-adds, 1/{g} of a dense {ci} → {co} conv's "
            f"{dense_macs}; it equals {g} separate convolutions, and no gradient crosses groups."
        ),
    )
