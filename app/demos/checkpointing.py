"""Card 9: checkpointing every k layers trades one extra forward for O(√n) peak memory."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import max_abs_difference
from app.demos.registry import register
from app.engine import MLP, Linear, Tensor, checkpoint, count, mse_loss


class CheckpointingParams(DemoParams):
    depth: int = Field(default=16, ge=9, le=25, description="Layers n in the chain.")
    width: int = Field(default=8, ge=2, le=32, description="Units per layer.")
    batch: int = Field(default=16, ge=1, le=32, description="Examples in the batch.")


class Run(NamedTuple):
    """One forward and backward: what it cost and the gradients it produced."""

    peak: int  # peak bytes saved for backward
    forward: int  # forward FLOPs
    recompute: int  # FLOPs of forwards re-run inside backward
    grads: list[np.ndarray]


def activation(h: Tensor) -> Tensor:
    """The nonlinearity after each layer."""
    return h.tanh()


def segment_fn(layers: list[Linear]) -> Callable[[Tensor], Tensor]:
    """A function running `layers` (each followed by the activation): one checkpointed segment."""

    def run(h: Tensor) -> Tensor:
        for layer in layers:
            h = activation(layer(h))
        return h

    return run


def train_step(model: MLP, x: np.ndarray, y: np.ndarray, every: int) -> Run:
    """Forward and backward, checkpointing segments of `every` layers (0: plain)."""
    model.zero_grad()
    layers = model.layers
    size = every or len(layers)
    with count() as counter:
        # The input requires grad so the first checkpoint has a differentiable input, as with
        # torch.utils.checkpoint(use_reentrant=True); otherwise its parameters get no gradient.
        h = Tensor(x, requires_grad=True)
        for start in range(0, len(layers), size):
            run = segment_fn(layers[start : start + size])
            h = checkpoint(run, h) if every else run(h)
        mse_loss(h, y).backward()
    grads = [p.grad.copy() for p in model.parameters() if p.grad is not None]
    return Run(
        counter.saved_peak,
        counter.total_flops("forward"),
        counter.total_flops("recompute"),
        grads,
    )


def identical(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """The largest |difference| over all gradients (inf if one run has fewer)."""
    if len(a) != len(b):
        return float("inf")
    return max((max_abs_difference(x, y) for x, y in zip(a, b, strict=True)), default=0.0)


@register(
    "checkpointing",
    "Gradient checkpointing",
    CheckpointingParams,
    rules=("checkpoint.recompute", "counters.saved"),
)
def checkpointing(params: CheckpointingParams) -> Demo:
    """Run the demo: gradient checkpointing."""
    rng = params.rng()
    n = params.depth
    model = MLP([params.width] * (n + 1), "tanh", seed=params.seed)
    x = rng.standard_normal((params.batch, params.width))
    y = rng.standard_normal((params.batch, params.width))

    plain = train_step(model, x, y, 0)
    ks = list(range(1, n + 1))
    runs = {k: train_step(model, x, y, k) for k in ks}
    root = max(1, round(math.sqrt(n)))
    best = runs[root]
    factor = plain.peak / best.peak
    extra = best.recompute / best.forward

    steps = [
        Step("plain run: peak saved bytes", plain.peak, note=f"{n} layers' activations at once"),
        Step(
            f"checkpoint every k = {root} ≈ √{n}: peak saved bytes",
            best.peak,
            r"\text{peak} \propto k + \frac{n}{k},\ \min \text{ at } k = \sqrt n",
            f"{math.ceil(n / root)} segment inputs kept, one segment's internals at a time",
        ),
        Step("peak memory cut (plain / checkpointed)", factor),
        Step("forward FLOPs", best.forward),
        Step(
            "recompute FLOPs (forwards re-run in backward)",
            best.recompute,
            note="each segment's forward runs again when backward reaches it",
        ),
        Step("recompute / forward", extra, note="about one extra forward pass"),
        Step(
            "max |checkpointed grad − plain grad|",
            identical(plain.grads, best.grads),
            note="the recomputation replays the exact same operations",
        ),
    ]
    all_identical = max(identical(plain.grads, run.grads) for run in runs.values())
    checks = [
        Check.equal(
            "checkpointed gradients are bit-for-bit identical to the plain run's, for every k "
            "(max abs diff)",
            all_identical,
            0,
        ),
        Check.at_least(
            f"checkpointing every √n ≈ {root} layers cuts peak saved memory by a factor (plain / "
            "checkpointed)",
            factor,
            1.5,
        ),
        Check.between(
            "recomputation costs about one extra forward pass (recompute / forward FLOPs)",
            extra,
            0.9,
            1.1,
        ),
    ]
    charts = [
        Chart(
            "Peak bytes saved for backward vs checkpoint spacing k",
            "k (layers per segment)",
            "peak saved bytes",
            [
                Series("checkpoint every k", list(ks), [runs[k].peak for k in ks]),
                Series("plain (no checkpointing)", list(ks), [plain.peak] * len(ks)),
                Series("k = √n", [root], [best.peak]),
            ],
        ),
        Chart(
            "Recompute FLOPs vs checkpoint spacing k",
            "k (layers per segment)",
            "FLOPs",
            [
                Series("recompute", list(ks), [runs[k].recompute for k in ks]),
                Series("forward", list(ks), [runs[k].forward for k in ks]),
                Series("k = √n", [root], [best.recompute]),
            ],
        ),
    ]
    return Demo(
        name="checkpointing",
        title="Gradient checkpointing",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Checkpointing every {root} of {n} layers cut peak saved memory from {plain.peak:,} "
            f"to {best.peak:,} bytes ({factor:.2f}×) for {extra:.2f} extra forwards of compute, "
            f"and every gradient matched the plain run's exactly (max diff {all_identical:g})."
        ),
    )
