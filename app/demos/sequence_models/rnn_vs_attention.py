"""Card 10: why Transformers replaced RNNs: sequential steps and path length.

An RNN's h_t needs h_{t−1}: over L steps the forward pass is L dependent matrix products that
cannot run at once, and the signal from x_1 to h_L passes through L of them (the gradient through
L − 1 step Jacobians). Self-attention computes every position from all inputs with a fixed number
of batched products (Q, K, V, QKᵀ, AV): the longest chain is the same for any L, and any two
positions are one attention step apart.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import (
    EXACT,
    directional_check,
    grad_of,
    longest_path,
    relative_error,
    rnn_reference,
    rnn_weights,
)
from app.engine import RNN, Tensor, linear, softmax

PRODUCTS = frozenset({"linear", "matmul"})


class PathParams(DemoParams):
    length: int = Field(default=16, ge=4, le=32, description="Sequence length L.")
    dim: int = Field(default=4, ge=2, le=8, description="Feature size d.")


def _attention(x: Tensor, wq: Tensor, wk: Tensor, wv: Tensor) -> Tensor:
    """Single-head self-attention over x (L, d): softmax(Q Kᵀ/√d) V."""
    q, k, v = linear(x, wq), linear(x, wk), linear(x, wv)
    weights = softmax((q @ k.T) * (1 / math.sqrt(x.shape[-1])), axis=-1)
    return weights @ v


def _rnn_depth(rnn: RNN, x_data: np.ndarray) -> tuple[int, Tensor]:
    x = Tensor(x_data, requires_grad=True)
    out, _ = rnn(x)
    return longest_path(out, x, PRODUCTS), out


@register(
    "rnn_vs_attention",
    "RNN versus self-attention: sequential steps and path length",
    PathParams,
    rules=("rnn_cell.forward", "softmax.vjp"),
)
def rnn_vs_attention(params: PathParams) -> Demo:
    """Run the demo: the longest chain of matrix products in each graph, at L and at 2L."""
    rng = params.rng()
    length, d = params.length, params.dim
    rnn = RNN(d, d, seed=int(rng.integers(2**31)))
    wq, wk, wv = (Tensor(rng.standard_normal((d, d)) / math.sqrt(d)) for _ in range(3))
    x_data = rng.standard_normal((2 * length, d))
    depth_rnn, out = _rnn_depth(rnn, x_data[:length, None])
    depth_rnn_2, _ = _rnn_depth(rnn, x_data[:, None])
    depths_attn: list[float | int] = []
    for size in (length, 2 * length):
        x = Tensor(x_data[:size], requires_grad=True)
        depths_attn.append(longest_path(_attention(x, wq, wk, wv), x, PRODUCTS))
    xa = Tensor(x_data[:length], requires_grad=True)
    y = _attention(xa, wq, wk, wv)
    g = rng.standard_normal(y.shape)
    y.backward(gradient=g)
    checks = [
        Check.equal(
            f"RNN: the longest chain of products from x to h_L is L = {length}", depth_rnn, length
        ),
        Check.equal(f"RNN: at 2L = {2 * length} steps it is 2L", depth_rnn_2, 2 * length),
        Check.equal(
            "self-attention: the longest chain is 3 products (K, QKᵀ, AV) at L", depths_attn[0], 3
        ),
        Check.equal("self-attention: still 3 at 2L", depths_attn[1], 3),
        Check.at_most(
            "the RNN's states equal the recurrence (relative error)",
            relative_error(
                out.data, rnn_reference(x_data[:length, None], np.zeros((1, d)), *rnn_weights(rnn))
            ),
            EXACT,
        ),
        directional_check(
            "attention's ∂L/∂x matches central differences of L = ⟨g, attention(x)⟩",
            lambda xt: (_attention(xt, wq, wk, wv) * Tensor(g)).sum(),
            [x_data[:length]],
            [grad_of(xa)],
            rng,
        ),
    ]
    sizes: list[float | int] = [length, 2 * length]
    chart = Chart(
        "Longest chain of dependent matrix products",
        "sequence length",
        "products one after another",
        [
            Series("RNN", sizes, [depth_rnn, depth_rnn_2]),
            Series("self-attention", sizes, depths_attn),
        ],
        kind="bar",
        y_from_zero=True,
    )
    steps = [
        Step(
            "RNN chain at L, 2L",
            np.array([depth_rnn, depth_rnn_2]),
            r"h_t = \tanh(W_{ih}x_t + W_{hh}h_{t-1} + b)",
        ),
        Step(
            "attention chain at L, 2L",
            np.array(depths_attn),
            r"\operatorname{softmax}\!\left(QK^\top/\sqrt{d}\right)V",
        ),
        Step("attention output, first position", y.data[0]),
    ]
    return Demo(
        name="rnn_vs_attention",
        title="RNN versus self-attention: sequential steps and path length",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Over {length} steps the RNN's graph is a chain of {depth_rnn} dependent products "
            f"({depth_rnn_2} at {2 * length}); self-attention's longest chain is "
            f"{depths_attn[0]} at both lengths."
        ),
    )
