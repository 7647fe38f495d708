"""Card 10: multi-query and grouped-query attention share keys and values between heads.

H query heads, G key/value heads (G divides H): query head h uses K/V head h // (H/G), which is
K and V repeated H/G times along the head axis (PyTorch's enable_gqa does repeat_interleave).
The KV cache shrinks by H/G, and a shared K receives the sum of its query heads' gradients.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import (
    EXACT,
    causal_bias,
    grad_of,
    reference_attention,
    relative_error,
)
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, scaled_dot_product_attention


class GqaParams(DemoParams):
    kv_heads: int = Field(default=2, ge=1, le=4, description="Key/value heads G (1 = MQA).")
    group: int = Field(default=3, ge=1, le=4, description="Query heads per K/V head, H/G.")
    length: int = Field(default=5, ge=3, le=8, description="Tokens L.")
    head_dim: int = Field(default=4, ge=2, le=6, description="Features per head.")


@register(
    "gqa_cache",
    "Grouped-query attention and the cache it saves",
    GqaParams,
    rules=("getitem.vjp",),
)
def gqa_cache(params: GqaParams) -> Demo:
    """Run the demo: GQA by repeating K/V heads, its reference, gradients and cache size."""
    rng = params.rng()
    g_heads, group, length, hd = params.kv_heads, params.group, params.length, params.head_dim
    h_heads = g_heads * group
    q = rng.standard_normal((1, h_heads, length, hd))
    k, v = (
        rng.standard_normal((1, g_heads, length, hd)),
        rng.standard_normal((1, g_heads, length, hd)),
    )
    upstream = rng.standard_normal((1, h_heads, length, hd))
    owner = np.repeat(np.arange(g_heads), group)  # query head h reads K/V head owner[h]
    kt, vt = Tensor(k, requires_grad=True), Tensor(v, requires_grad=True)
    out = scaled_dot_product_attention(Tensor(q), kt[:, owner], vt[:, owner], is_causal=True)
    out.backward(gradient=upstream)
    expected = np.stack(
        [
            reference_attention(q[0, h], k[0, owner[h]], v[0, owner[h]], causal_bias(length))[0]
            for h in range(h_heads)
        ]
    )[None]
    # The same attention with every head's K and V as separate leaves: per-head gradients.
    k_rep = Tensor(k[:, owner], requires_grad=True)
    v_rep = Tensor(v[:, owner], requires_grad=True)
    scaled_dot_product_attention(Tensor(q), k_rep, v_rep, is_causal=True).backward(
        gradient=upstream
    )
    summed_k = np.stack([grad_of(k_rep)[0, owner == j].sum(axis=0) for j in range(g_heads)])[None]
    summed_v = np.stack([grad_of(v_rep)[0, owner == j].sum(axis=0) for j in range(g_heads)])[None]
    mha_bytes = 2 * h_heads * hd * 8
    gqa_bytes = (k.nbytes + v.nbytes) / length
    checks = [
        Check.at_most(
            f"{h_heads} query heads over {g_heads} K/V heads equal the per-head reference "
            "(relative error)",
            relative_error(out.data, expected),
            EXACT,
        ),
        Check.at_most(
            "a shared K head gets the sum of its query heads' gradients (relative error)",
            relative_error(grad_of(kt), summed_k),
            EXACT,
        ),
        Check.at_most(
            "and so does a shared V head (relative error)",
            relative_error(grad_of(vt), summed_v),
            EXACT,
        ),
        Check.equal(
            "cache bytes per token and layer: 2·G·head_dim·8", gqa_bytes, 2 * g_heads * hd * 8
        ),
        Check.equal("saving against full multi-head attention: H/G", mha_bytes / gqa_bytes, group),
    ]
    options = [d for d in range(1, h_heads + 1) if h_heads % d == 0]
    chart = Chart(
        f"KV-cache bytes per token and layer, {h_heads} query heads",
        "K/V heads G",
        "bytes (float64)",
        [
            Series(
                "2·G·head_dim·8", [float(d) for d in options], [2.0 * d * hd * 8 for d in options]
            )
        ],
        kind="bar",
        y_from_zero=True,
    )
    steps = [
        Step(
            "K/V head read by each query head",
            owner.astype(float),
            r"h \mapsto \lfloor h/(H/G) \rfloor",
        ),
        Step("K (shared heads)", k[0, 0]),
        Step("dK of K/V head 0 (engine)", grad_of(kt)[0, 0]),
        Step("Σ of its query heads' dK", summed_k[0, 0]),
        Step("cache bytes per token, GQA", gqa_bytes, r"2\,G\,d_\text{head}\cdot 8"),
        Step("cache bytes per token, MHA", mha_bytes, r"2\,H\,d_\text{head}\cdot 8"),
    ]
    return Demo(
        name="gqa_cache",
        title="Grouped-query attention and the cache it saves",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"With {h_heads} query heads sharing {g_heads} K/V heads, attention equals the "
            "per-head computation with K and V repeated, each shared head's gradient is the sum "
            f"over its {group} query heads, and the cache holds {gqa_bytes:g} bytes per token "
            f"instead of {mha_bytes}: {group}× less."
        ),
    )
