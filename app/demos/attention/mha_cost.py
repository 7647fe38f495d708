"""Card 4: parameters and multiply-adds of multi-head self-attention, by the counters.

nn.MultiheadAttention(E, h) holds in_proj_weight (3E × E), in_proj_bias (3E), out_proj.weight
(E × E) and out_proj.bias (E): 4E² + 4E parameters whatever h is. On N sequences of L tokens
the projections cost 4·N·L·E² multiply-adds and the scores plus the weighted sum 2·N·L²·E.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import EXACT, reference_mha, relative_error
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import MultiheadAttention, count

CHART_LENGTHS = (4, 8, 16, 32, 64)


class MhaCostParams(DemoParams):
    heads: int = Field(default=2, ge=2, le=4, description="Heads h.")
    head_dim: int = Field(default=4, ge=2, le=8, description="Features per head E/h.")
    length: int = Field(default=6, ge=2, le=12, description="Tokens L per sequence.")
    batch: int = Field(default=2, ge=1, le=3, description="Sequences N.")


def forward_flops(layer: MultiheadAttention, x: np.ndarray) -> tuple[dict[str, int], np.ndarray]:
    """FLOPs by op of one self-attention forward, and its output."""
    with count() as counter:
        out, _ = layer(x, x, x, need_weights=False)
    return dict(counter.flops["forward"]), out.data


def references(layer: MultiheadAttention, x: np.ndarray) -> np.ndarray:
    """The layer's output from its own parameters, one head at a time in NumPy."""
    assert layer.in_proj_bias is not None and layer.out_proj.bias is not None
    return reference_mha(
        x,
        layer.in_proj_weight.data,
        layer.in_proj_bias.data,
        layer.out_proj.weight.data,
        layer.out_proj.bias.data,
        layer.num_heads,
    )


@register(
    "mha_cost",
    "Parameters and multiply-adds of multi-head attention",
    MhaCostParams,
    rules=("counters.matmul_flops", "attention.heads"),
)
def mha_cost(params: MhaCostParams) -> Demo:
    """Run the demo: count a MultiheadAttention's parameters and forward multiply-adds."""
    rng = params.rng()
    h, e = params.heads, params.heads * params.head_dim
    n, length = params.batch, params.length
    layer = MultiheadAttention(e, h, seed=int(rng.integers(2**31)))
    single = MultiheadAttention(e, 1, seed=int(rng.integers(2**31)))
    x = rng.standard_normal((n, length, e))
    flops, out = forward_flops(layer, x)
    n_params = sum(p.data.size for p in layer.parameters())
    projections = 4 * n * length * e * e
    attention = 2 * n * length * length * e
    checks = [
        Check.equal("parameters: 4E² + 4E", n_params, 4 * e * e + 4 * e),
        Check.equal(
            "one head has the same parameter count as h heads",
            sum(p.data.size for p in single.parameters()),
            n_params,
        ),
        Check.at_most(
            "the layer's output equals the per-head reference (relative error)",
            relative_error(out, references(layer, x)),
            EXACT,
        ),
        Check.equal(
            "projections: 4·N·L·E² multiply-adds + 4·N·L·E bias adds (counters, linear)",
            flops.get("linear", 0),
            projections + 4 * n * length * e,
        ),
        Check.equal(
            "scores and weighted sum: 2·N·L²·E multiply-adds (counters, matmul)",
            flops.get("matmul", 0),
            attention,
        ),
    ]
    share = []
    for size in CHART_LENGTHS:
        counted, _ = forward_flops(layer, rng.standard_normal((1, size, e)))
        share.append(counted.get("matmul", 0) / (counted.get("matmul", 0) + counted["linear"]))
    chart = Chart(
        "Share of the multiply-adds spent on QKᵀ and PV",
        "tokens L",
        "share of matmul + linear FLOPs",
        [Series(f"E = {e}", [float(s) for s in CHART_LENGTHS], share)],
        log_x=True,
        y_from_zero=True,
    )
    steps = [
        Step("in_proj_weight shape", np.array(layer.in_proj_weight.shape), r"(3E, E)"),
        Step("out_proj.weight shape", np.array(layer.out_proj.weight.shape), r"(E, E)"),
        Step("parameters", n_params, r"4E^2 + 4E"),
        Step("output sample", out[0, 0]),
        Step("linear FLOPs (counters)", flops.get("linear", 0), r"4NLE^2 + 4NLE"),
        Step("matmul FLOPs (counters)", flops.get("matmul", 0), r"2NL^2E"),
        Step("softmax FLOPs (counters)", flops.get("softmax", 0)),
    ]
    return Demo(
        name="mha_cost",
        title="Parameters and multiply-adds of multi-head attention",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"MultiheadAttention({e}, {h}) has {n_params} = 4E² + 4E parameters, the same as one "
            f"head. On {n}×{length} tokens the projections cost {projections} multiply-adds and "
            f"the scores with the weighted sum {attention}; the second part grows with L², so it "
            "dominates once L is larger than about 2E."
        ),
    )
