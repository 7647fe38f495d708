"""Card 7: selective activation checkpointing recomputes only the attention core.

In a self-attention block the projections keep n×d activations, while the core softmax(QKᵀ/√d_h)V
keeps per head two n×n matrices (the scores and the probabilities): the part of the memory that
grows with n². Checkpointing just the core drops those buffers and replays only the core in
backward; checkpointing the whole block keeps less still but replays every matmul.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import grad_or_nan, relative_error
from app.engine import Tensor, checkpoint, count, softmax

STRATEGIES = ("none", "selective", "full")


class SelectiveCheckpointingParams(DemoParams):
    tokens: int = Field(default=16, ge=8, le=32, description="Sequence length n.")
    heads: int = Field(default=4, ge=1, le=4, description="Attention heads a.")
    head_dim: int = Field(default=4, ge=2, le=8, description="Width per head d_h.")


def attention_core(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """softmax(Q Kᵀ/√d_h) V per head; q, k, v shaped (a, n, d_h)."""
    scores = (q @ k.transpose(0, 2, 1)) * (1 / np.sqrt(q.shape[-1]))
    return softmax(scores, axis=-1) @ v


def block_fn(weights: list[Tensor], heads: int) -> Callable[..., Tensor]:
    """x ↦ attention(x) W_o with Q, K, V projections, as a function of x (for checkpoint)."""

    def run(x: Tensor, core: Callable[..., Tensor] = attention_core) -> Tensor:
        n, d = x.shape
        split = [(x @ w).reshape(n, heads, d // heads).transpose(1, 0, 2) for w in weights[:3]]
        mixed = core(*split).transpose(1, 0, 2).reshape(n, d)
        return mixed @ weights[3]

    return run


@register(
    "selective_checkpointing",
    "Selective activation checkpointing of attention",
    SelectiveCheckpointingParams,
    rules=("checkpoint.recompute", "counters.saved"),
)
def selective_checkpointing(params: SelectiveCheckpointingParams) -> Demo:
    """Run the demo: one attention block, nothing / the core / everything checkpointed."""
    rng = params.rng()
    n, a, dh = params.tokens, params.heads, params.head_dim
    d = a * dh
    x = rng.standard_normal((n, d))
    w_data = [rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(4)]
    g = rng.standard_normal((n, d))
    results = {}
    for strategy in STRATEGIES:
        weights = [Tensor(w, requires_grad=True) for w in w_data]
        run = block_fn(weights, a)
        xt = Tensor(x, requires_grad=True)
        with count() as counter:
            for w in weights:  # resident anyway: registered before the step, as weights
                counter.save((w.data,))
            base = counter.saved_live
            if strategy == "full":
                out = checkpoint(run, xt)
            elif strategy == "selective":
                out = run(xt, lambda q, k, v: checkpoint(attention_core, q, k, v))
            else:
                out = run(xt)
            kept = counter.saved_live - base
            out.backward(gradient=g)
        grads = [grad_or_nan(xt), *(grad_or_nan(w) for w in weights)]
        results[strategy] = (
            kept,
            counter.total_flops("forward"),
            counter.total_flops("recompute"),
            grads,
        )
    with count() as core_count:
        q, k, v = (Tensor(rng.standard_normal((a, n, dh))) for _ in range(3))
        attention_core(q, k, v)
    core_flops = core_count.total_flops("forward")
    none, sel, full = (results[s] for s in STRATEGIES)
    n2_bytes = 2 * a * n * n * 8  # scores and probabilities, float64, per head
    worst = max(
        relative_error(gs, gn)
        for s in ("selective", "full")
        for gs, gn in zip(results[s][3], none[3], strict=True)
    )
    checks = [
        Check.at_most(
            "all three give the same gradients (relative, x and 4 weights)", worst, 1e-12
        ),
        Check.between(
            "selective drops exactly the 2·a n×n buffers (bytes saved ÷ 2·a·n²·8)",
            (none[0] - sel[0]) / n2_bytes,
            1.0,
            1.01,
        ),
        Check.equal(
            "selective replays only the attention core (recompute FLOPs = core forward FLOPs)",
            sel[2],
            core_flops,
        ),
        Check.equal(
            "full checkpointing replays the whole forward (recompute = forward)", full[2], full[1]
        ),
        Check.at_most(
            "full keeps only the block input (bytes kept ÷ n·d·8)", full[0] / (n * d * 8), 1.0
        ),
    ]
    steps = [
        Step("activation bytes kept, none", none[0]),
        Step("activation bytes kept, selective", sel[0]),
        Step("activation bytes kept, full", full[0]),
        Step("n×n buffers (scores, probabilities)", n2_bytes, r"2\,a\,n^2 \cdot 8"),
        Step("recompute FLOPs, selective", sel[2]),
        Step("recompute FLOPs, full", full[2]),
        Step("dW_q (first row)", none[3][1][0]),
    ]
    charts = [
        Chart(
            "Activation bytes kept for backward",
            "checkpointing",
            "bytes",
            [Series("kept", [0, 1, 2], [r[0] for r in (none, sel, full)])],
            kind="bar",
            y_from_zero=True,
            x_labels=STRATEGIES,
        ),
        Chart(
            "Recompute FLOPs as a share of the forward",
            "checkpointing",
            "recompute / forward",
            [Series("share", [0, 1, 2], [r[2] / r[1] for r in (none, sel, full)])],
            kind="bar",
            y_from_zero=True,
            x_labels=STRATEGIES,
        ),
    ]
    return Demo(
        name="selective_checkpointing",
        title="Selective activation checkpointing of attention",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"n = {n}, {a} heads: checkpointing the attention core cuts the kept activations from "
            f"{none[0]} to {sel[0]} bytes for {sel[2] / sel[1]:.0%} extra forward FLOPs; "
            f"checkpointing the whole block keeps {full[0]} bytes but replays all of them."
        ),
    )
