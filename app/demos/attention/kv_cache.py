"""Card 5: the KV cache. Decoding token by token, each step appends one key and one value per
head to the cache and attends with the new query over everything cached.

The outputs equal full causal attention over the whole sequence; the cache holds
2·heads·head_dim numbers per token and layer; and a step's attention costs 2·t·E
multiply-adds instead of recomputing the prefix.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import EXACT, relative_error
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, count, linear, scaled_dot_product_attention


class KvCacheParams(DemoParams):
    tokens: int = Field(default=6, ge=3, le=10, description="Tokens decoded T.")
    heads: int = Field(default=2, ge=1, le=4, description="Heads h.")
    head_dim: int = Field(default=4, ge=2, le=8, description="Features per head.")


def split_heads(x: np.ndarray, heads: int) -> np.ndarray:
    """(T, E) -> (heads, T, E/heads)."""
    t, e = x.shape
    return x.reshape(t, heads, e // heads).transpose(1, 0, 2)


@register(
    "kv_cache",
    "The KV cache: what it stores and what it saves",
    KvCacheParams,
    rules=("attention.causal_mask", "counters.matmul_flops"),
)
def kv_cache(params: KvCacheParams) -> Demo:
    """Run the demo: decode with a KV cache and compare with full causal attention."""
    rng = params.rng()
    t_total, h, hd = params.tokens, params.heads, params.head_dim
    e = h * hd
    x = rng.standard_normal((t_total, e))
    w_q, w_k, w_v = (Tensor(rng.standard_normal((e, e)) / np.sqrt(e)) for _ in range(3))
    q_all, k_all, v_all = (split_heads(linear(Tensor(x), w).data, h) for w in (w_q, w_k, w_v))
    full = scaled_dot_product_attention(q_all, k_all, v_all, is_causal=True).data
    k_cache = np.zeros((h, 0, hd))
    v_cache = np.zeros((h, 0, hd))
    steps_out: list[np.ndarray] = []
    step_flops: list[float | int] = []
    for t in range(t_total):
        token = Tensor(x[t : t + 1])
        q_t, k_t, v_t = (split_heads(linear(token, w).data, h) for w in (w_q, w_k, w_v))
        k_cache = np.concatenate([k_cache, k_t], axis=1)  # append: nothing is recomputed
        v_cache = np.concatenate([v_cache, v_t], axis=1)
        with count() as counter:
            out_t = scaled_dot_product_attention(q_t, k_cache, v_cache).data
        step_flops.append(counter.flops["forward"].get("matmul", 0))
        steps_out.append(out_t[:, 0])
    cached = np.stack(steps_out, axis=1)  # (heads, T, head_dim)
    bytes_per_token = (k_cache.nbytes + v_cache.nbytes) / t_total
    checks = [
        Check.at_most(
            "decoding with the cache equals full causal attention, token by token",
            relative_error(cached, full),
            EXACT,
        ),
        Check.equal(
            "cache bytes per token and layer: 2·heads·head_dim·8 (float64)",
            bytes_per_token,
            2 * h * hd * 8,
        ),
        Check.equal(
            f"step {t_total}'s attention costs 2·t·E multiply-adds (counters)",
            step_flops[-1],
            2 * t_total * e,
        ),
        Check.equal(
            "the whole decode's attention multiply-adds: Σ 2·t·E = T(T + 1)·E",
            sum(step_flops),
            t_total * (t_total + 1) * e,
        ),
    ]
    chart = Chart(
        "Attention multiply-adds per decoding step",
        "step t",
        "multiply-adds",
        [Series("with the KV cache", [float(i + 1) for i in range(t_total)], step_flops)],
        kind="bar",
        y_from_zero=True,
    )
    steps = [
        Step("K cache shape after T tokens", np.array(k_cache.shape), r"(h, T, d_\text{head})"),
        Step("K cache (head 0)", k_cache[0]),
        Step("V cache (head 0)", v_cache[0]),
        Step("bytes per token per layer (float64)", bytes_per_token, r"2\,h\,d_\text{head}\cdot 8"),
        Step("same in float16", 2 * h * hd * 2.0, r"2\,h\,d_\text{head}\cdot 2"),
        Step("output of the last step (head 0)", cached[0, -1]),
        Step("full causal output, last row (head 0)", full[0, -1]),
    ]
    return Demo(
        name="kv_cache",
        title="The KV cache: what it stores and what it saves",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Decoding {t_total} tokens one at a time with a cache of past keys and values gave "
            "the same outputs as full causal attention. The cache grew by "
            f"{bytes_per_token:g} bytes per token ({2 * h * hd} numbers: a key and a value per "
            f"head), and step t's attention cost 2·t·E multiply-adds, {step_flops[-1]} at the "
            "last step."
        ),
    )
