"""Card 14: attention dropout drops attention weights, after the softmax.

Each weight of softmax(QKᵀ/√d) is zeroed with probability p and the kept ones are scaled by
1/(1 − p): a row no longer sums to 1, but its expectation is the undropped row, so the output
is unbiased. A MultiheadAttention in eval() drops nothing; scaled_dot_product_attention has no
training flag, so its caller must pass dropout_p=0 at inference.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import EXACT, reference_attention, relative_error
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import MultiheadAttention, scaled_dot_product_attention

DRAWS = 2000


class DropoutParams(DemoParams):
    p: float = Field(default=0.2, ge=0.1, le=0.5, description="Dropout probability p.")
    length: int = Field(default=4, ge=3, le=8, description="Tokens L.")
    dim: int = Field(default=4, ge=2, le=8, description="Head size d.")


@register(
    "attention_dropout",
    "Attention dropout: weights dropped after the softmax",
    DropoutParams,
    rules=("attention.dropout",),
)
def attention_dropout(params: DropoutParams) -> Demo:
    """Run the demo: one dropped draw against its reference, the average of many, eval mode."""
    rng = params.rng()
    p, length, d = params.p, params.length, params.dim
    q, k, v = (rng.standard_normal((length, d)) for _ in range(3))
    draw_seed = int(rng.integers(2**31))
    dropped = scaled_dot_product_attention(
        q, k, v, dropout_p=p, generator=np.random.default_rng(draw_seed)
    ).data
    clean, weights = reference_attention(q, k, v)
    keep = np.random.default_rng(draw_seed).random(weights.shape) >= p  # the same draw
    kept_weights = weights * keep / (1 - p)
    expected = kept_weights @ v
    generator = np.random.default_rng(int(rng.integers(2**31)))
    # DRAWS independent draws in one batched call: each batch entry gets its own mask.
    stacked = [np.broadcast_to(a, (DRAWS, *a.shape)) for a in (q, k, v)]
    mean = scaled_dot_product_attention(
        stacked[0], stacked[1], stacked[2], dropout_p=p, generator=generator
    ).data.mean(axis=0)
    seed = int(rng.integers(2**31))
    e = 2 * d
    layer = MultiheadAttention(e, 2, dropout=p, seed=seed)
    plain = MultiheadAttention(e, 2, dropout=0.0, seed=seed)  # the same weights, no dropout
    x = rng.standard_normal((1, length, e))
    train_a, _ = layer(x, x, x, need_weights=False)
    others = [layer(x, x, x, need_weights=False)[0].data for _ in range(9)]
    layer.eval()
    evaluated, _ = layer(x, x, x, need_weights=False)
    reference, _ = plain(x, x, x, need_weights=False)
    checks = [
        Check.at_most(
            "one draw equals (softmax(QKᵀ/√d) ⊙ mask/(1 − p)) V with the same mask "
            "(relative error)",
            relative_error(dropped, expected),
            EXACT,
        ),
        Check.at_most(
            f"averaged over {DRAWS} draws the output is the undropped one (relative error)",
            relative_error(mean, clean),
            0.15,
        ),
        Check.at_least(
            "in training, calls drop different weights (largest relative difference, 10 calls)",
            max(relative_error(other, train_a.data) for other in others),
            1e-6,
        ),
        Check.at_most(
            "after eval() the layer equals the same layer without dropout (relative error)",
            relative_error(evaluated.data, reference.data),
            EXACT,
        ),
    ]
    steps = [
        Step("weights P = softmax(QKᵀ/√d)", weights),
        Step("keep mask (one draw)", keep.astype(float)),
        Step("dropped weights P ⊙ mask/(1 − p)", kept_weights),
        Step("their row sums", kept_weights.sum(axis=-1), note="not 1; 1 on average"),
        Step("output, one draw", dropped),
        Step(f"output, mean of {DRAWS} draws", mean),
        Step("output without dropout", clean),
    ]
    return Demo(
        name="attention_dropout",
        title="Attention dropout: weights dropped after the softmax",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With p = {p:g} a draw zeroed {int((~keep).sum())} of {keep.size} attention "
            "weights and scaled the rest by 1/(1 − p), so rows stopped summing to 1; averaged "
            f"over {DRAWS} draws the output came back to the undropped one. After eval() the "
            "layer dropped nothing."
        ),
    )
