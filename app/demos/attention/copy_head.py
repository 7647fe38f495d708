"""Card 15: a head whose attention pattern is one-hot copies a value vector.

With a previous-token pattern (query t puts all its weight on key t − 1) the output at t is
exactly v_{t−1} = W_V x_{t−1}, and backward sends the gradient at t only to v_{t−1}. A softmax
never reaches one-hot: with score margin β the weight on the target is e^β/(e^β + n − 1),
so the copy is exact only in the limit, and the rest of the weight blurs it.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import EXACT, grad_of, relative_error
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, scaled_dot_product_attention


class CopyParams(DemoParams):
    length: int = Field(default=6, ge=3, le=10, description="Tokens L.")
    dim: int = Field(default=4, ge=2, le=8, description="Value size.")
    margin: float = Field(default=4.0, ge=1.0, le=12.0, description="Score margin β.")


@register(
    "copy_head",
    "A one-hot attention head copies",
    CopyParams,
    rules=("attention.mask_convention", "matmul.vjp"),
)
def copy_head(params: CopyParams) -> Demo:
    """Run the demo: a previous-token head, exact (masked) and soft (a score margin)."""
    rng = params.rng()
    length, d, beta = params.length, params.dim, params.margin
    x = rng.standard_normal((length, d))
    w_v = rng.standard_normal((d, d)) / np.sqrt(d)
    values = x @ w_v.T
    positions = np.eye(length)
    queries = np.roll(positions, -1, axis=1)  # query t is the code of position t − 1
    queries[0] = positions[0]  # token 0 has no previous token: it looks at itself
    # Exact: a boolean mask that allows only key t − 1 (SDPA: True = may attend).
    target = np.argmax(queries, axis=1)
    only_prev = np.zeros((length, length), dtype=bool)
    only_prev[np.arange(length), target] = True
    vt = Tensor(values, requires_grad=True)
    out = scaled_dot_product_attention(queries, positions, vt, attn_mask=only_prev, scale=1.0)
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    moved_back = np.zeros_like(g)
    for t in range(length):
        moved_back[target[t]] += g[t]
    # Soft: causal mask, score β on the target and 0 on the other visible keys.
    causal = np.tril(np.ones((length, length), dtype=bool))
    soft = scaled_dot_product_attention(
        beta * queries, positions, values, attn_mask=causal, scale=1.0
    ).data
    mixture = np.zeros_like(values)
    for t in range(length):
        visible = t + 1
        w = np.exp(beta) / (np.exp(beta) + visible - 1)
        rest = (values[: t + 1].sum(axis=0) - values[target[t]]) / max(visible - 1, 1)
        mixture[t] = w * values[target[t]] + (1 - w) * rest if visible > 1 else values[t]
    margins = [1.0, 2.0, 4.0, 8.0, 12.0]
    last = length  # the last query sees every key
    checks = [
        Check.at_most(
            "with a one-hot pattern, output t is exactly v_{t−1} (relative error)",
            relative_error(out.data, values[target]),
            EXACT,
        ),
        Check.at_most(
            "and the gradient at output t reaches only v_{t−1} (relative error)",
            relative_error(grad_of(vt), moved_back),
            EXACT,
        ),
        Check.at_most(
            "softmax with margin β: output = w·v_{t−1} + (1 − w)·mean of the other visible "
            "values, w = e^β/(e^β + n − 1) (relative error)",
            relative_error(soft, mixture),
            1e-12,
        ),
        Check.at_least(
            "the soft copy is not exact: some weight stays on other tokens (relative error)",
            relative_error(soft, values[target]),
            1e-7,
        ),
    ]
    chart = Chart(
        f"Weight on the copied token for the last query ({last} visible keys)",
        "score margin β",
        "weight",
        [
            Series(
                "e^β/(e^β + n − 1)", margins, [np.exp(b) / (np.exp(b) + last - 1) for b in margins]
            )
        ],
        y_from_zero=True,
    )
    steps = [
        Step("values v_t = W_V x_t", values),
        Step("mask: only key t − 1 (True = may attend)", only_prev.astype(float)),
        Step("output (one-hot pattern)", out.data, r"o_t = v_{t-1}"),
        Step("∂L/∂V", grad_of(vt), r"P^\top G: row t-1 gets g_t"),
        Step(f"output with margin β = {beta:g}", soft),
    ]
    return Demo(
        name="copy_head",
        title="A one-hot attention head copies",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            "A previous-token pattern made each output exactly the previous token's value "
            "vector and sent each output's gradient to that value alone. With a finite score "
            f"margin β = {beta:g} the softmax left weight on the other tokens, so the copy was "
            "blurred by exactly the predicted amount."
        ),
    )
