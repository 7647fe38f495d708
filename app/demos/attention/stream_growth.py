"""Card 11: Pre-LN vs Post-LN, seen in the residual stream.

Post-LN, h_l = LN(h_{l-1} + F(h_{l-1})), renormalises the stream after every block: its RMS
is 1 at every depth and each block's update is as large as the stream. Pre-LN,
h_l = h_{l-1} + F(LN(h_{l-1})), never normalises the stream: it grows with depth, each block's
update becomes a smaller fraction of it, and the identity path from the loss to every block is
left clean. That is why Pre-LN trains stably without warm-up, and why it needs a final LN.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import relative_error
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, layer_norm, linear, relu

EPS = 1e-5


class PrePostParams(DemoParams):
    depth: int = Field(default=12, ge=8, le=16, description="Blocks L.")
    width: int = Field(default=16, ge=16, le=32, description="Stream width d.")
    tokens: int = Field(default=8, ge=8, le=16, description="Tokens.")


def reference_layer_norm(x: np.ndarray) -> np.ndarray:
    """(x − μ)/√(σ² + ε) per token, biased variance."""
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS)


def run(kind: str, x: np.ndarray, weights: list) -> tuple[list[float], list[float]]:
    """Per block: the stream's RMS after it and the block's update relative to the stream."""
    d = x.shape[-1]
    h = Tensor(x)
    rms, relative = [], []
    for w1, w2 in weights:
        branch_in = layer_norm(h, (d,), eps=EPS) if kind == "pre" else h
        update = linear(relu(linear(branch_in, w1)), w2)
        relative.append(float(np.linalg.norm(update.data) / np.linalg.norm(h.data)))
        h = h + update if kind == "pre" else layer_norm(h + update, (d,), eps=EPS)
        rms.append(float(np.sqrt(np.mean(h.data**2))))
    return rms, relative


@register(
    "ln_stream_growth",
    "Pre-LN vs Post-LN in the residual stream",
    PrePostParams,
    rules=("layer_norm.forward",),
)
def pre_post_ln(params: PrePostParams) -> Demo:
    """Run the demo: the stream's size and each block's relative update, both placements."""
    rng = params.rng()
    depth, d, t = params.depth, params.width, params.tokens
    x = rng.standard_normal((t, d))
    weights = [
        (
            Tensor(rng.standard_normal((4 * d, d)) * np.sqrt(2.0 / d)),
            Tensor(rng.standard_normal((d, 4 * d)) / np.sqrt(4 * d)),
        )
        for _ in range(depth)
    ]
    pre_rms, pre_rel = run("pre", x, weights)
    post_rms, post_rel = run("post", x, weights)
    quarter = max(depth // 4, 1)
    engine_ln = layer_norm(Tensor(x), (d,), eps=EPS).data
    checks = [
        Check.at_most(
            "the engine's layer norm equals (x − μ)/√(σ² + ε) per token (relative error)",
            relative_error(engine_ln, reference_layer_norm(x)),
            1e-12,
        ),
        Check.at_most(
            "Post-LN: the stream's RMS is 1 after every block (largest |RMS − 1|)",
            max(abs(r - 1) for r in post_rms),
            1e-4,
        ),
        Check.at_least(
            "Pre-LN: the stream's RMS grows with depth (last block over first)",
            pre_rms[-1] / pre_rms[0],
            1.4,
        ),
        Check.at_most(
            "Pre-LN: the last blocks' updates are a smaller share of the stream "
            "(last quarter over first quarter)",
            float(np.mean(pre_rel[-quarter:]) / np.mean(pre_rel[:quarter])),
            0.7,
        ),
        Check.between(
            "Post-LN: the last blocks' updates stay as large (last quarter over first quarter)",
            float(np.mean(post_rel[-quarter:]) / np.mean(post_rel[:quarter])),
            0.5,
            2.0,
        ),
    ]
    blocks = [float(i + 1) for i in range(depth)]
    charts = [
        Chart(
            "RMS of the residual stream after each block",
            "block",
            "RMS",
            [Series("Pre-LN", blocks, pre_rms), Series("Post-LN", blocks, post_rms)],
            y_from_zero=True,
        ),
        Chart(
            "Each block's update relative to the stream it is added to",
            "block",
            "‖F‖ / ‖h‖",
            [Series("Pre-LN", blocks, pre_rel), Series("Post-LN", blocks, post_rel)],
            y_from_zero=True,
        ),
    ]
    steps = [
        Step(
            "Pre-LN stream RMS per block",
            np.array(pre_rms),
            r"h_l = h_{l-1} + F(\mathrm{LN}(h_{l-1}))",
        ),
        Step(
            "Post-LN stream RMS per block",
            np.array(post_rms),
            r"h_l = \mathrm{LN}(h_{l-1} + F(h_{l-1}))",
        ),
        Step("Pre-LN ‖F‖/‖h‖ per block", np.array(pre_rel)),
        Step("Post-LN ‖F‖/‖h‖ per block", np.array(post_rel)),
        Step("layer norm of the input, token 0", engine_ln[0]),
    ]
    return Demo(
        name="ln_stream_growth",
        title="Pre-LN vs Post-LN in the residual stream",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Over {depth} random blocks the Post-LN stream stayed at RMS 1 and every block "
            "rewrote a share of about 1 of it; the Pre-LN stream grew from RMS "
            f"{pre_rms[0]:.2f} to {pre_rms[-1]:.2f}, and its last blocks' updates were "
            f"{np.mean(pre_rel[-quarter:]) / np.mean(pre_rel[:quarter]):.0%} of the first ones' "
            "relative size."
        ),
    )
