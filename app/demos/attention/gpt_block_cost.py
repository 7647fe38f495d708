"""Card 9: a GPT block's parameters, and the 6·N·D rule for training FLOPs, by the counters.

A Pre-LN block with width E: attention 4E² + 4E, MLP (E -> 4E -> E) 8E² + 5E, two layer norms
4E: 12E² + 13E parameters. Forward, each token meets each weight in one multiply-add (2 FLOPs);
backward computes dX and dW, two more products per weight: 6 FLOPs per parameter per token.
Attention's scores add 2·L·E multiply-adds per token per layer, which the rule leaves out.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import LayerNorm, Linear, MultiheadAttention, Tensor, count, gelu
from app.engine.nn import Module

HEADS = 2


class GptBlockParams(DemoParams):
    head_dim: int = Field(default=8, ge=8, le=16, description="Features per head (2 heads).")
    length: int = Field(default=8, ge=4, le=16, description="Tokens L per sequence.")
    batch: int = Field(default=1, ge=1, le=2, description="Sequences N.")


class GptBlock(Module):
    """x + attn(LN1(x)), then + MLP(LN2(·)): GPT-2's Pre-LN block."""

    def __init__(self, e: int, rng: np.random.Generator) -> None:
        self.ln1, self.ln2 = LayerNorm(e), LayerNorm(e)
        self.attn = MultiheadAttention(e, HEADS, seed=rng)
        self.up, self.down = Linear(e, 4 * e, seed=rng), Linear(4 * e, e, seed=rng)

    def forward(self, x: Tensor) -> Tensor:
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, need_weights=False, is_causal=True)
        x = x + a
        return x + self.down(gelu(self.up(self.ln2(x))))


@register(
    "gpt_block_cost",
    "A GPT block's parameters and the 6·N·D rule",
    GptBlockParams,
    rules=("counters.matmul_flops", "counters.flops"),
)
def gpt_block_cost(params: GptBlockParams) -> Demo:
    """Run the demo: count one block's parameters and its forward and backward products."""
    rng = params.rng()
    e, length, n = HEADS * params.head_dim, params.length, params.batch
    block = GptBlock(e, rng)
    x = Tensor(rng.standard_normal((n, length, e)), requires_grad=True)
    with count() as counter:
        y = block(x)
        y.backward(gradient=rng.standard_normal(y.shape))
    fwd, bwd = counter.flops["forward"], counter.flops["backward"]
    n_params = sum(p.data.size for p in block.parameters())
    tokens = n * length
    weight_macs = tokens * 12 * e * e  # every weight matrix, once per token
    score_macs = 2 * n * length * length * e  # QKᵀ and PV (all L keys are computed)
    bias_adds = tokens * 9 * e  # in_proj (3E), out_proj (E), up (4E), down (E)
    forward_products = fwd.get("linear", 0) + fwd.get("matmul", 0)
    backward_products = bwd.get("linear", 0) + bwd.get("matmul", 0)
    per_token = 2 * (forward_products + backward_products - 2 * bias_adds) / tokens
    checks = [
        Check.equal("parameters: 12E² + 13E", n_params, 12 * e * e + 13 * e),
        Check.equal(
            "forward products: 12E² multiply-adds per token + 2·L·E for the scores, + biases",
            forward_products,
            weight_macs + score_macs + bias_adds,
        ),
        Check.equal(
            "backward products: twice the forward multiply-adds (dX and dW), + bias sums",
            backward_products,
            2 * (weight_macs + score_macs) + bias_adds,
        ),
        Check.between(
            "training FLOPs per token per parameter (2 per multiply-add): about 6",
            per_token / n_params,
            5.5,
            7.5,
        ),
    ]
    widths = [16, 32, 64, 128]
    ratio = [6 * (12 * w * w + 2 * length * w) / (12 * w * w + 13 * w) for w in widths]
    chart = Chart(
        f"Training FLOPs per token per parameter at L = {length} (formula checked above)",
        "width E",
        "FLOPs / (token · parameter)",
        [Series("6·(12E² + 2LE)/(12E² + 13E)", [float(w) for w in widths], ratio)],
        log_x=True,
        y_from_zero=True,
    )
    steps = [
        Step("parameters", n_params, r"12E^2 + 13E"),
        Step("forward linear FLOPs (counters)", fwd.get("linear", 0)),
        Step("forward matmul FLOPs (counters)", fwd.get("matmul", 0), r"2NL^2E"),
        Step("backward linear FLOPs (counters)", bwd.get("linear", 0)),
        Step("backward matmul FLOPs (counters)", bwd.get("matmul", 0)),
        Step("training FLOPs per token", per_token, r"\approx 6N"),
        Step("output sample y[0, 0]", y.data[0, 0]),
    ]
    return Demo(
        name="gpt_block_cost",
        title="A GPT block's parameters and the 6·N·D rule",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"A width-{e} Pre-LN block has {n_params} = 12E² + 13E parameters. The counters "
            f"give {per_token / n_params:.2f} training FLOPs per token per parameter: 2 forward "
            "and 4 backward per weight, plus the attention scores' 2·L·E multiply-adds per token, "
            "which 6·N·D leaves out."
        ),
    )
