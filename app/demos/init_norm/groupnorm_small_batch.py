"""Card 15: tiny batches: batch norm's statistics fail, group norm does not depend on the batch.

With a batch of 1 and one value per channel, batch norm has nothing to average (PyTorch and the
engine refuse it in training); with a few examples its statistics are noisy. Group norm takes
each example's statistics over groups of channels and positions: an example's output is the
same in any batch. One group is layer norm over (C, H, W); C groups is instance norm.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.init_norm.common import gradcheck_all
from app.demos.registry import register
from app.engine import Tensor, batch_norm, group_norm, layer_norm

EPS = 1e-5


class GroupnormSmallBatchParams(DemoParams):
    batch: int = Field(default=2, ge=2, le=8, description="Examples in the small batch.")
    groups: int = Field(default=2, ge=1, le=4, description="Groups of channels.")
    size: int = Field(default=4, ge=2, le=6, description="Height = width of the feature map.")


@register(
    "groupnorm_small_batch",
    "Small batches: batch norm's statistics vs group norm",
    GroupnormSmallBatchParams,
    rules=("group_norm.vjp",),
)
def groupnorm_small_batch(params: GroupnormSmallBatchParams) -> Demo:
    """Run the demo: group norm per example, its special cases, and batch norm at batch 1."""
    rng = params.rng()
    n, groups, s = params.batch, params.groups, params.size
    c = 2 * groups
    x = rng.normal(1.0, 2.0, (n, c, s, s))
    others = rng.normal(-2.0, 3.0, (n, c, s, s))
    others[0] = x[0]
    moved = float(
        np.max(
            np.abs(
                group_norm(Tensor(x), groups).data[0] - group_norm(Tensor(others), groups).data[0]
            )
        )
    )
    alone = float(
        np.max(
            np.abs(
                group_norm(Tensor(x[:1]), groups).data[0] - group_norm(Tensor(x), groups).data[0]
            )
        )
    )
    as_layer = float(
        np.max(np.abs(group_norm(Tensor(x), 1).data - layer_norm(Tensor(x), (c, s, s)).data))
    )
    per_channel = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(
        x.var(axis=(2, 3), keepdims=True) + EPS
    )
    as_instance = float(np.max(np.abs(group_norm(Tensor(x), c).data - per_channel)))
    bn_first = batch_norm(Tensor(x), None, None, training=True).data[0]
    bn_moved = float(
        np.max(np.abs(bn_first - batch_norm(Tensor(others), None, None, training=True).data[0]))
    )
    try:
        batch_norm(Tensor(rng.standard_normal((1, c))), None, None, training=True)
        refused = 0
    except ValueError:
        refused = 1
    small = rng.normal(1.0, 2.0, (2, 4, 2, 2))
    upstream = rng.standard_normal((2, 4, 2, 2))

    def loss(v: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return (group_norm(v, 2, w, b) * Tensor(upstream)).sum()

    checks = [
        Check.equal(
            "group norm: example 0's output is the same whatever the other examples are "
            "(largest change)",
            moved,
            0.0,
        ),
        Check.at_most(
            "group norm of example 0 alone (batch 1) equals its output in the batch",
            alone,
            1e-15,
        ),
        Check.at_least(
            f"batch norm at batch {n}: example 0's output moves when the others change "
            "(largest change)",
            bn_moved,
            1e-2,
        ),
        Check.equal(
            "batch norm in training refuses a batch of 1 with one value per channel (1 = refused)",
            refused,
            1,
        ),
        Check.at_most(
            "one group is layer norm over (C, H, W); C groups is instance norm (largest "
            "difference)",
            max(as_layer, as_instance),
            1e-12,
        ),
        gradcheck_all(
            "the engine's group norm gradients (x, γ, β) equal central differences",
            loss,
            [small, rng.uniform(0.5, 2, 4), rng.normal(0, 1, 4)],
            ["∂L/∂x", "∂L/∂γ", "∂L/∂β"],
        ),
    ]
    steps = [
        Step(
            "input (N, C, H, W)",
            f"{n} × {c} × {s} × {s}",
            note=f"{groups} groups of {c // groups} channels",
        ),
        Step("group norm: change in example 0 when the others change", moved),
        Step("batch norm: change in example 0 when the others change", bn_moved),
        Step("group norm (1 group) − layer norm over (C, H, W)", as_layer),
        Step("group norm (C groups) − instance norm", as_instance),
    ]
    return Demo(
        name="groupnorm_small_batch",
        title="Small batches: batch norm's statistics vs group norm",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"At batch {n}, replacing the other examples moved batch norm's output for example 0 "
            f"by up to {bn_moved:.3g} and group norm's not at all; batch norm refuses a batch of "
            "1 in training, group norm gives it the same output as in any batch."
        ),
    )
