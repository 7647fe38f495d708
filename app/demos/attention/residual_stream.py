"""Card 13: the residual stream. In a Pre-LN Transformer every block reads LN(h) and adds its
write back: h_L = h_0 + Σ_l F_l(LN(h_{l-1})). The output is a sum of contributions (the
embedding's direct path and each block's write), and backward follows the same additions:
∂L/∂h_{l-1} = ∂L/∂h_l + (block l's VJP of ∂L/∂h_l), the fan-out rule at each addition.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import EXACT, FD_TOL, directional_error, relative_error
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, gradients, layer_norm, linear, no_grad, scaled_dot_product_attention
from app.engine import vjp as engine_vjp


class StreamParams(DemoParams):
    depth: int = Field(default=3, ge=2, le=5, description="Blocks L.")
    width: int = Field(default=8, ge=4, le=12, description="Stream width d.")
    tokens: int = Field(default=5, ge=3, le=8, description="Tokens T.")
    vocab: int = Field(default=6, ge=3, le=10, description="Output logits V.")


def block(h: Tensor, w: list[Tensor]) -> Tensor:
    """One causal attention block's write: SDPA(LN(h)W_q, LN(h)W_k, LN(h)W_v) W_o."""
    z = layer_norm(h, (h.shape[-1],))
    q, k, v = (linear(z, m) for m in w[:3])
    return linear(scaled_dot_product_attention(q, k, v, is_causal=True), w[3])


@register(
    "residual_stream",
    "The residual stream: a sum of writes, and its gradient",
    StreamParams,
    rules=("autograd.fan_out", "add.vjp"),
)
def residual_stream(params: StreamParams) -> Demo:
    """Run the demo: decompose the logits by contribution and the gradient by addition."""
    rng = params.rng()
    depth, d, t, n_vocab = params.depth, params.width, params.tokens, params.vocab
    weights = [
        [Tensor(rng.standard_normal((d, d)) / np.sqrt(d)) for _ in range(4)] for _ in range(depth)
    ]
    unembed = rng.standard_normal((n_vocab, d)) / np.sqrt(d)
    h0 = Tensor(rng.standard_normal((t, d)), requires_grad=True)
    stream = [h0]
    writes = []
    for w in weights:
        writes.append(block(stream[-1], w))
        stream.append(stream[-1] + writes[-1])
    logits = linear(stream[-1], Tensor(unembed))
    g = rng.standard_normal(logits.shape)
    grads = [x.data for x in gradients(logits, stream, g)]
    # Each addition, checked alone: ∂L/∂h_{l-1} = ∂L/∂h_l + VJP of block l at h_{l-1}.
    worst = 0.0
    for layer, w in enumerate(weights):
        _, pullback = engine_vjp(lambda h, w=w: block(h, w), stream[layer].data)
        (through_block,) = pullback(grads[layer + 1])
        worst = max(worst, relative_error(grads[layer], grads[layer + 1] + through_block))
    contributions = [stream[0].data @ unembed.T] + [wr.data @ unembed.T for wr in writes]

    # Central differences of L = Σ g ⊙ logits along one direction in h_0.
    def loss(x: np.ndarray) -> float:
        with no_grad():
            h = Tensor(x)
            for w in weights:
                h = h + block(h, w)
            return float(np.sum(g * linear(h, Tensor(unembed)).data))

    fd = directional_error(loss, h0.data, grads[0], rng)
    checks = [
        Check.at_most(
            "the logits are the sum of the embedding's direct path and each block's write "
            "(relative error)",
            relative_error(sum(contributions), logits.data),
            EXACT,
        ),
        Check.at_most(
            "at every addition ∂L/∂h_{l−1} = ∂L/∂h_l + block l's VJP (worst relative error)",
            worst,
            1e-12,
        ),
        Check.at_most(
            "the gradient at the embeddings matches central differences (relative error)",
            fd,
            FD_TOL,
        ),
    ]
    sizes = [float(np.linalg.norm(c)) for c in contributions]
    chart = Chart(
        "Size of each contribution to the logits",
        "contribution (0 = embedding's direct path)",
        "‖U · write‖",
        [Series("norm", [float(i) for i in range(depth + 1)], sizes)],
        kind="bar",
        y_from_zero=True,
    )
    steps = [
        Step("logits, token 0", logits.data[0], r"U h_L"),
        Step("direct path U h_0, token 0", contributions[0][0]),
        *[
            Step(f"block {i + 1}'s write U F_{i + 1}, token 0", c[0])
            for i, c in enumerate(contributions[1:])
        ],
        Step("‖∂L/∂h_l‖ down the stream", np.array([np.linalg.norm(x) for x in grads])),
    ]
    return Demo(
        name="residual_stream",
        title="The residual stream: a sum of writes, and its gradient",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"The logits of a {depth}-block Pre-LN stack split exactly into the embedding's "
            "direct path plus one term per block's write. Backward adds the same way: at each "
            "residual addition the gradient below is the gradient above plus what flows through "
            "the block, so the identity path always carries ∂L/∂h_L down unchanged."
        ),
    )
