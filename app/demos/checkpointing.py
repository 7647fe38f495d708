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
from app.engine import MLP, Linear, Tensor, checkpoint, count

ROOT_DEPTHS = (9, 16, 25)  # n with an integer √n: peak(√n)/√n should not depend on n


class CheckpointingParams(DemoParams):
    depth: int = Field(default=16, ge=9, le=25, description="Layers n in the chain.")
    width: int = Field(default=8, ge=2, le=32, description="Units per layer.")
    batch: int = Field(default=16, ge=1, le=32, description="Examples in the batch.")


class Run(NamedTuple):
    """One forward and backward: what it cost and the gradients it produced."""

    peak: int  # peak bytes of activations saved for backward (weights excluded)
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


def weight_arrays(model: MLP) -> tuple[np.ndarray, ...]:
    """The layers' W arrays: each linear saves a reference to its W, resident anyway."""
    return tuple(layer.weight.data for layer in model.layers)


def train_step(model: MLP, x: np.ndarray, y: np.ndarray, every: int) -> Run:
    """Forward and backward, checkpointing segments of `every` layers (0: plain).

    Only activations are counted. The weights are registered with the counter once, before
    the step: they are resident with or without training, and every linear's later reference
    to its W is then the same buffer again, which the counter counts once. The loss's gradient
    2(h − y)/size seeds backward directly, so the count holds the chain's own saves only.
    """
    model.zero_grad()
    layers = model.layers
    size = every or len(layers)
    with count() as counter:
        weights = weight_arrays(model)
        counter.save(weights)
        resident = sum(w.nbytes for w in weights)  # computed here, not read from the counter
        # The input requires grad so the first checkpoint has a differentiable input, as with
        # torch.utils.checkpoint(use_reentrant=True); otherwise its parameters get no gradient.
        h = Tensor(x, requires_grad=True)
        for start in range(0, len(layers), size):
            run = segment_fn(layers[start : start + size])
            h = checkpoint(run, h) if every else run(h)
        h.backward(2 * (h.data - y) / h.size)  # the gradient of mean((h − y)²)
    grads = [p.grad.copy() for p in model.parameters() if p.grad is not None]
    return Run(
        counter.saved_peak - resident,
        counter.total_flops("forward"),
        counter.total_flops("recompute"),
        grads,
    )


def segment_lengths(n: int, every: int) -> list[int]:
    """The layers per segment when n layers are checkpointed every `every` (0: one segment)."""
    size = every or n
    return [min(size, n - start) for start in range(0, n, size)]


def expected_peak_buffers(n: int, every: int) -> int:
    """Activation buffers (each batch × width) live at the peak, counted by hand.

    Forward keeps only the m segments' inputs (x and every k-th layer's output). Backward
    replays segments last to first; replaying segment i (1-based) adds its k_i layers'
    outputs (each tanh output is also the next linear's input: one buffer) while the inputs
    of segments 1..i are still held. So the peak is max_i (i + k_i); a plain run is one
    segment of n layers: n + 1 buffers, x and every layer's output.
    """
    return max(i + k for i, k in enumerate(segment_lengths(n, every), start=1))


def measure_spacings(params: CheckpointingParams, n: int) -> tuple[Run, dict[int, Run]]:
    """A plain run and one run per spacing k = 1..n, on an n-layer tanh chain."""
    rng = params.rng()
    model = MLP([params.width] * (n + 1), "tanh", seed=params.seed)
    x = rng.standard_normal((params.batch, params.width))
    y = rng.standard_normal((params.batch, params.width))
    plain = train_step(model, x, y, 0)
    return plain, {k: train_step(model, x, y, k) for k in range(1, n + 1)}


def peak_at_root(params: CheckpointingParams, n: int) -> int:
    """Peak activation bytes of an n-layer chain checkpointed every √n layers."""
    rng = params.rng()
    model = MLP([params.width] * (n + 1), "tanh", seed=params.seed)
    x = rng.standard_normal((params.batch, params.width))
    y = rng.standard_normal((params.batch, params.width))
    return train_step(model, x, y, round(math.sqrt(n))).peak


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
    n = params.depth
    plain, runs = measure_spacings(params, n)
    ks = list(runs)
    root = max(1, round(math.sqrt(n)))
    best = runs[root]
    factor = plain.peak / best.peak
    extra = best.recompute / best.forward
    buffer = params.batch * params.width * np.dtype(np.float64).itemsize  # one activation
    expected = {k: expected_peak_buffers(n, k) * buffer for k in ks}
    mismatch = max(
        abs(plain.peak - expected_peak_buffers(n, 0) * buffer),
        *(abs(runs[k].peak - expected[k]) for k in ks),
    )
    lowest = min(run.peak for run in runs.values())
    best_ks = [k for k in ks if runs[k].peak == lowest]
    argmin = min(best_ks, key=lambda k: abs(k - math.sqrt(n)))
    per_root = {m: peak_at_root(params, m) / math.sqrt(m) for m in ROOT_DEPTHS}
    spread = max(per_root.values()) / min(per_root.values())

    steps = [
        Step(
            "plain run: peak activation bytes",
            plain.peak,
            note=f"x and {n} layers' outputs at once, {buffer:,} bytes each (weights excluded: "
            "they are resident anyway)",
        ),
        Step(
            f"checkpoint every k = {root} ≈ √{n}: peak activation bytes",
            best.peak,
            r"\text{peak} \approx \tfrac{n}{k} + k \text{ buffers},\ \min \text{ at } k = \sqrt n",
            f"{math.ceil(n / root)} segment inputs kept, one segment's outputs at a time",
        ),
        Step(
            "expected peak by hand, buffers: max over segments i of (i + k_i)",
            float(expected_peak_buffers(n, root)),
            note=f"× {buffer:,} bytes = {expected[root]:,}",
        ),
        Step("spacings k with the lowest peak", np.array(best_ks, dtype=np.float64)),
        Step(
            "peak(√n) / √n for n = " + ", ".join(str(m) for m in ROOT_DEPTHS),
            np.array(list(per_root.values())),
            note="about constant: the peak grows like √n",
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
        Check.equal(
            "the counters' peak activation bytes equal the count by hand, (n + 1) buffers plain "
            "and max_i (i + k_i) checkpointed, for every k (max abs difference, bytes)",
            mismatch,
            0,
        ),
        Check.at_most(
            f"the spacing with the lowest peak is within ±1 of √n = {math.sqrt(n):.3g} "
            "(|argmin k − √n|)",
            abs(argmin - math.sqrt(n)),
            1.0,
        ),
        Check.at_most(
            "peak memory grows like √n: peak(√n)/√n is about constant over n = "
            + ", ".join(str(m) for m in ROOT_DEPTHS)
            + " (largest / smallest)",
            spread,
            1.1,
        ),
        Check.at_least(
            f"checkpointing every √n ≈ {root} layers cuts peak activation memory by a factor "
            "(plain / checkpointed)",
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
    top = max(plain.peak, *(run.peak for run in runs.values()))
    flops_top = max(max(run.forward, run.recompute) for run in runs.values())
    charts = [
        Chart(
            "Peak activation bytes saved for backward vs checkpoint spacing k",
            "k (layers per segment)",
            "peak activation bytes",
            [
                Series("checkpoint every k", list(ks), [runs[k].peak for k in ks]),
                Series("expected by hand", list(ks), [expected[k] for k in ks]),
                Series("plain (no checkpointing)", list(ks), [plain.peak] * len(ks)),
                # A vertical line from 0: the marker shows, and the axis starts at zero.
                Series("k = √n", [root, root], [0, top]),
            ],
        ),
        Chart(
            "Recompute FLOPs vs checkpoint spacing k",
            "k (layers per segment)",
            "FLOPs",
            [
                Series("recompute", list(ks), [runs[k].recompute for k in ks]),
                Series("forward", list(ks), [runs[k].forward for k in ks]),
                Series("k = √n", [root, root], [0, flops_top]),
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
            f"Checkpointing every {root} of {n} layers cut peak activation memory from "
            f"{plain.peak:,} to {best.peak:,} bytes ({factor:.2f}×), exactly the count by hand, "
            f"for {extra:.2f} extra forwards of compute; the lowest peak is at k = "
            f"{argmin}, and every gradient matched the plain run's exactly "
            f"(max diff {all_identical:g})."
        ),
    )
