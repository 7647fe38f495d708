"""Card 1: causal masking adds -inf above the diagonal before the softmax.

Future keys then get weight exactly 0, every row still sums to 1, the past outputs do not move
when future tokens change, and no gradient reaches a future value. The two boolean conventions
are checked as well: scaled_dot_product_attention's True means "may attend",
MultiheadAttention's True means "blocked".
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import (
    EXACT,
    causal_bias,
    grad_of,
    np_softmax,
    reference_attention,
    reference_mha,
    relative_error,
)
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import MultiheadAttention, Tensor, scaled_dot_product_attention


class CausalMaskParams(DemoParams):
    length: int = Field(default=5, ge=3, le=8, description="Sequence length L.")
    dim: int = Field(default=4, ge=2, le=8, description="Query/key size E.")


@register(
    "causal_mask",
    "Causal masking: -inf before the softmax",
    CausalMaskParams,
    rules=("attention.causal_mask", "attention.mask_convention"),
)
def causal_mask(params: CausalMaskParams) -> Demo:
    """Run the demo: causal attention, its masks, and what the future can change."""
    rng = params.rng()
    length, e = params.length, params.dim
    q, k, v = (rng.standard_normal((1, length, e)) for _ in range(3))
    out = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), is_causal=True).data
    expected, weights = reference_attention(q, k, v, causal_bias(length))
    allowed = np.tril(np.ones((length, length), dtype=bool))  # True = may attend (SDPA)
    with_bool = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), attn_mask=allowed)
    mha = MultiheadAttention(2 * e, 2, seed=int(rng.integers(2**31)))
    x = rng.standard_normal((1, length, 2 * e))
    blocked = ~allowed  # True = may NOT attend (MultiheadAttention)
    mha_out, _ = mha(x, x, x, attn_mask=blocked, need_weights=False)
    mha_expected = reference_mha(
        x,
        mha.in_proj_weight.data,
        None if mha.in_proj_bias is None else mha.in_proj_bias.data,
        mha.out_proj.weight.data,
        None if mha.out_proj.bias is None else mha.out_proj.bias.data,
        2,
        causal_bias(length),
    )
    # Change every token after t0: outputs up to t0 must not move, bit for bit.
    t0 = length // 2
    k2, v2 = k.copy(), v.copy()
    k2[:, t0 + 1 :] = rng.standard_normal(k2[:, t0 + 1 :].shape)
    v2[:, t0 + 1 :] = rng.standard_normal(v2[:, t0 + 1 :].shape)
    moved = scaled_dot_product_attention(Tensor(q), Tensor(k2), Tensor(v2), is_causal=True).data
    past_change = float(np.max(np.abs(moved[:, : t0 + 1] - out[:, : t0 + 1])))
    vt = Tensor(v, requires_grad=True)
    y = scaled_dot_product_attention(Tensor(q), Tensor(k), vt, is_causal=True)
    seed_grad = np.zeros(y.shape)
    seed_grad[0, t0] = rng.standard_normal(e)
    y.backward(gradient=seed_grad)
    dv = grad_of(vt)
    future_grad = float(np.max(np.abs(dv[0, t0 + 1 :])))
    past_grad = float(np.max(np.abs(dv[0, : t0 + 1])))
    # The slip: zero the future weights after the softmax instead of masking before it.
    plain = np_softmax(q[0] @ k[0].T / np.sqrt(e))
    zeroed_after = plain * allowed
    checks = [
        Check.at_most(
            "is_causal output equals softmax(QKᵀ/√E + causal −inf bias) V (relative error)",
            relative_error(out, expected),
            EXACT,
        ),
        Check.at_most(
            "SDPA with a boolean tril mask (True = may attend) equals is_causal",
            relative_error(with_bool.data, out),
            EXACT,
        ),
        Check.at_most(
            "MultiheadAttention with a boolean triu mask (True = blocked) equals the causal "
            "reference",
            relative_error(mha_out.data, mha_expected),
            EXACT,
        ),
        Check.at_most(
            f"changing tokens after {t0} leaves outputs 0..{t0} unchanged (max |change|)",
            past_change,
            0.0,
        ),
        Check.at_most(
            f"no gradient from output {t0} reaches a later value (max |dV|)", future_grad, 0.0
        ),
        Check.at_least("the earlier values do get a gradient (max |dV|)", past_grad, 1e-6),
        Check.at_most(
            "zeroing after the softmax instead: rows no longer sum to 1 (smallest row sum)",
            float(zeroed_after[1:].sum(axis=-1).min()),
            0.999,
        ),
    ]
    steps = [
        Step("causal bias (0 / −inf)", causal_bias(length), r"B_{ij} = -\infty \text{ for } j > i"),
        Step("attention weights", weights[0], r"\mathrm{softmax}(QK^\top/\sqrt{E} + B)"),
        Step("row sums", weights[0].sum(axis=-1)),
        Step("SDPA boolean mask (True = may attend)", allowed.astype(float)),
        Step("MultiheadAttention boolean mask (True = blocked)", blocked.astype(float)),
        Step(f"dL/dV for a gradient at output {t0}", dv[0]),
        Step("weights zeroed after the softmax (the slip)", zeroed_after),
        Step("their row sums", zeroed_after.sum(axis=-1)),
    ]
    return Demo(
        name="causal_mask",
        title="Causal masking: -inf before the softmax",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With −inf added above the diagonal, the {length}×{length} weights are exactly 0 "
            f"in the future and each row sums to 1. Changing tokens after {t0} moved outputs "
            f"0..{t0} by {past_change:g}, and their gradient reached no later value. Zeroing "
            "after the softmax instead leaves rows summing to less than 1."
        ),
    )
