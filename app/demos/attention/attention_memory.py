"""Card 8: attention's L×L memory, and the two ideas behind FlashAttention.

Plain attention keeps the L×L scores and softmax weights for backward: memory grows as L².
FlashAttention (1) tiles the keys and keeps a running max and sum per query (the online
softmax), so no L×L matrix ever exists, and (2) recomputes the scores in backward instead of
storing them. Here (1) is a NumPy loop over key blocks compared with the engine's output, and
(2) is the engine's checkpoint around attention, measured by the counters.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import EXACT, grad_of, relative_error
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, checkpoint, count, linear, scaled_dot_product_attention

CHART_LENGTHS = (8, 16, 32, 64)


class AttentionMemoryParams(DemoParams):
    length: int = Field(default=32, ge=8, le=64, description="Tokens L (queries and keys).")
    dim: int = Field(default=4, ge=2, le=8, description="Head size d.")
    block: int = Field(default=8, ge=2, le=16, description="Keys per tile in the online softmax.")


def online_softmax_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, block: int) -> tuple:
    """softmax(QKᵀ/√d)V one key tile at a time: a running max m, sum l and output o per query.
    Returns the output and the largest number of scores held at once."""
    length, d = q.shape
    m = np.full((length, 1), -np.inf)
    total = np.zeros((length, 1))
    o = np.zeros((length, v.shape[1]))
    largest = 0
    for start in range(0, k.shape[0], block):
        s = q @ k[start : start + block].T / np.sqrt(d)  # (L, block): the only scores held
        largest = max(largest, s.size)
        m_new = np.maximum(m, s.max(axis=1, keepdims=True))
        rescale = np.exp(m - m_new)  # earlier sums were relative to the old max
        p = np.exp(s - m_new)
        total = total * rescale + p.sum(axis=1, keepdims=True)
        o = o * rescale + p @ v[start : start + block]
        m = m_new
    return o / total, largest


def naive_saved(length: int, d: int, rng: np.random.Generator) -> int:
    """Bytes plain attention keeps for backward at length L."""
    q, k, v = (Tensor(rng.standard_normal((length, d)), requires_grad=True) for _ in range(3))
    with count() as counter:
        scaled_dot_product_attention(q, k, v)
    return counter.saved_total


@register(
    "attention_memory",
    "Attention's L² memory and the FlashAttention idea",
    AttentionMemoryParams,
    rules=("counters.saved", "checkpoint.recompute"),
)
def attention_memory(params: AttentionMemoryParams) -> Demo:
    """Run the demo: count saved bytes, tile the softmax, recompute in backward."""
    rng = params.rng()
    length, d, block = params.length, params.dim, params.block
    q_np, k_np, v_np = (rng.standard_normal((length, d)) for _ in range(3))
    w_np = rng.standard_normal((d, d)) / np.sqrt(d)
    g = rng.standard_normal((length, d))
    inputs = 3 * length * d * 8 + 8  # Q, Kᵀ, V and the scale, in float64

    def block_fn(q: Tensor, k: Tensor, v: Tensor, w: Tensor) -> Tensor:
        return linear(scaled_dot_product_attention(q, k, v), w)

    # Plain: everything backward needs is kept.
    plain = [Tensor(a, requires_grad=True) for a in (q_np, k_np, v_np)]
    w_plain = Tensor(w_np, requires_grad=True)
    with count() as counter:
        sdpa = scaled_dot_product_attention(plain[0], plain[1], plain[2])
        attention_saved = counter.saved_total
        out = linear(sdpa, w_plain)
        out.backward(gradient=g)
    plain_forward = counter.total_flops("forward")
    # Recomputed: checkpoint keeps only the segment's inputs and replays it in backward.
    ckpt = [Tensor(a, requires_grad=True) for a in (q_np, k_np, v_np)]
    w_ckpt = Tensor(w_np, requires_grad=True)
    with count() as counter:
        out_ckpt = checkpoint(lambda q, k, v: block_fn(q, k, v, w_ckpt), *ckpt)
        ckpt_saved = counter.saved_total
        out_ckpt.backward(gradient=g)
    recompute = counter.total_flops("recompute")
    tiled, largest = online_softmax_attention(q_np, k_np, v_np, block)
    double = naive_saved(2 * length, d, rng) - (2 * inputs - 8)
    grads_match = max(
        relative_error(grad_of(a), grad_of(b)) for a, b in zip(plain, ckpt, strict=True)
    )
    checks = [
        Check.equal(
            "plain attention keeps 2·L² floats beyond its inputs (scores and softmax output)",
            attention_saved - inputs,
            2 * length * length * 8,
        ),
        Check.equal(
            "doubling L multiplies that part by 4 (bytes at 2L over bytes at L)",
            double / (attention_saved - inputs),
            4.0,
        ),
        Check.at_most(
            f"tiles of {block} keys with a running max and sum give the same output "
            "(relative error)",
            relative_error(tiled, sdpa.data),
            EXACT,
        ),
        Check.equal(
            "the checkpointed segment keeps only its inputs (bytes)",
            ckpt_saved,
            3 * length * d * 8,
        ),
        Check.equal(
            "backward recomputes the segment: recompute FLOPs = its forward FLOPs",
            recompute,
            plain_forward,
        ),
        Check.at_most(
            "recomputation changes no gradient: dQ, dK, dV (relative error)", grads_match, EXACT
        ),
        Check.at_most(
            "nor the .grad of a weight used inside the segment (relative error)",
            relative_error(grad_of(w_ckpt), grad_of(w_plain)),
            EXACT,
        ),
    ]
    sizes = [float(n) for n in CHART_LENGTHS]
    chart = Chart(
        "Bytes kept for backward beyond the inputs",
        "tokens L",
        "bytes",
        [
            Series(
                "plain attention",
                sizes,
                [naive_saved(n, d, rng) - (3 * n * d * 8 + 8) for n in CHART_LENGTHS],
            ),
            Series("checkpointed (recomputed)", sizes, [0.0 for _ in CHART_LENGTHS]),
        ],
        y_from_zero=True,
    )
    steps = [
        Step("bytes saved by plain attention", attention_saved, r"8(3Ld + 1) + 8\cdot 2L^2"),
        Step("of which L×L matrices", attention_saved - inputs, r"2 L^2 \cdot 8"),
        Step("bytes saved with checkpoint", ckpt_saved, r"3Ld \cdot 8"),
        Step("recompute FLOPs in backward", recompute),
        Step("largest score tile held by the online softmax", largest, r"L \times B"),
        Step("full score matrix", length * length, r"L^2"),
        Step("output row 0, tiled", tiled[0]),
        Step("output row 0, engine", sdpa.data[0]),
    ]
    return Demo(
        name="attention_memory",
        title="Attention's L² memory and the FlashAttention idea",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"At L = {length} plain attention kept {attention_saved - inputs} bytes of L×L "
            "matrices for backward, four times more at 2L. Tiling the keys with a running max "
            f"and sum held at most {largest} scores at once instead of {length * length}, with "
            "the same output; recomputing in backward kept only the inputs and cost one extra "
            "forward."
        ),
    )
