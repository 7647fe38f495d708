"""Card 3: self-attention without positions is permutation equivariant.

Reorder the tokens and the outputs are reordered the same way, nothing else changes: the layer
sees a set. Adding a positional encoding (here the sinusoidal table) breaks that, and so does a
causal mask, which is why a decoder without any positional encoding still knows something of
order.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import EXACT, reference_mha, relative_error
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import MultiheadAttention, sinusoidal_position_encoding


class PermutationParams(DemoParams):
    length: int = Field(default=5, ge=3, le=10, description="Tokens L.")
    heads: int = Field(default=2, ge=2, le=4, description="Heads h.")
    head_dim: int = Field(default=4, ge=2, le=6, description="Features per head.")


def attend(layer: MultiheadAttention, x: np.ndarray, causal: bool = False) -> np.ndarray:
    """The layer's self-attention output for one sequence x (L, E)."""
    out, _ = layer(x[None], x[None], x[None], need_weights=False, is_causal=causal)
    return out.data[0]


@register(
    "permutation_equivariance",
    "Self-attention sees a set: permutation equivariance",
    PermutationParams,
    rules=("attention.heads",),
)
def permutation_equivariance(params: PermutationParams) -> Demo:
    """Run the demo: permute the tokens with and without positional encodings."""
    rng = params.rng()
    length, h = params.length, params.heads
    e = h * params.head_dim
    layer = MultiheadAttention(e, h, seed=int(rng.integers(2**31)))
    assert layer.in_proj_bias is not None and layer.out_proj.bias is not None
    x = rng.standard_normal((length, e))
    perm = rng.permutation(length)
    while np.array_equal(perm, np.arange(length)):
        perm = rng.permutation(length)
    out = attend(layer, x)
    out_perm = attend(layer, x[perm])
    pe = sinusoidal_position_encoding(length, e)
    with_pe = attend(layer, x + pe)
    with_pe_perm = attend(layer, x[perm] + pe)  # the same tokens, now at other positions
    causal = attend(layer, x, causal=True)
    causal_perm = attend(layer, x[perm], causal=True)
    reference = reference_mha(
        x[None],
        layer.in_proj_weight.data,
        layer.in_proj_bias.data,
        layer.out_proj.weight.data,
        layer.out_proj.bias.data,
        h,
    )[0]
    checks = [
        Check.at_most(
            "the layer's output equals the per-head reference (relative error)",
            relative_error(out, reference),
            EXACT,
        ),
        Check.at_most(
            "no positions: attention(x[π]) = attention(x)[π] (relative error)",
            relative_error(out_perm, out[perm]),
            EXACT,
        ),
        Check.at_least(
            "with sinusoidal positions added the outputs are no longer a permutation "
            "(relative difference)",
            relative_error(with_pe_perm, with_pe[perm]),
            1e-2,
        ),
        Check.at_least(
            "a causal mask alone also breaks the symmetry (relative difference)",
            relative_error(causal_perm, causal[perm]),
            1e-2,
        ),
    ]
    steps = [
        Step("permutation π", perm.astype(float)),
        Step("attention(x)", out),
        Step("attention(x[π])", out_perm, note="the rows of attention(x), reordered by π"),
        Step("sinusoidal encoding PE", pe),
        Step("attention(x[π] + PE)", with_pe_perm),
        Step("attention(x + PE)[π]", with_pe[perm], note="different: position now matters"),
    ]
    return Demo(
        name="permutation_equivariance",
        title="Self-attention sees a set: permutation equivariance",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Shuffling {length} tokens shuffled the self-attention outputs in the same way and "
            "changed nothing else: without positions the layer cannot tell orders apart. Adding "
            "the sinusoidal encoding, or a causal mask, made the outputs depend on the order."
        ),
    )
