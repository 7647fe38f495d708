"""Card 10: why Transformers use layer norm: each token is normalised on its own.

Layer norm's statistics come from one token's d_model features, so a token's output does not
depend on the other tokens, the padding, the batch size or train vs eval; the same code runs
at batch 1 during decoding. Batch norm over (batch × positions) mixes every token's values,
padding included, into every output, and its gradient leaks between tokens.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.init_norm.common import grad_of, gradcheck_all
from app.demos.registry import register
from app.engine import Tensor, batch_norm, layer_norm


class LayernormTokensParams(DemoParams):
    batch: int = Field(default=3, ge=2, le=8, description="Sequences in the batch.")
    length: int = Field(default=6, ge=3, le=16, description="Positions per sequence (padded).")
    d_model: int = Field(default=8, ge=4, le=32, description="Features per token.")


def bn_tokens(x: np.ndarray) -> np.ndarray:
    """Batch norm of (B, T, D) tokens: one statistic per feature over all B·T positions."""
    b, t, d = x.shape
    flat = Tensor(x.reshape(b * t, d))
    return batch_norm(flat, None, None, training=True).data.reshape(b, t, d)


def ln_tokens(x: np.ndarray) -> np.ndarray:
    return layer_norm(Tensor(x), x.shape[-1]).data


@register(
    "layernorm_tokens",
    "Why Transformers use layer norm: every token on its own",
    LayernormTokensParams,
    rules=("layer_norm.vjp", "batch_norm.vjp"),
)
def layernorm_tokens(params: LayernormTokensParams) -> Demo:
    """Run the demo: change the padding and the batch, see which norm's outputs move."""
    rng = params.rng()
    b, t, d = params.batch, params.length, params.d_model
    x = rng.normal(0.5, 1.5, (b, t, d))
    real = t - 1 - int(rng.integers(0, t // 2))  # sequence 0 has `real` tokens, then padding
    repadded = x.copy()
    repadded[0, real:] = rng.normal(5.0, 3.0, (t - real, d))  # other values in the pad slots
    other_batch = x.copy()
    other_batch[1:] = rng.normal(-1.0, 2.0, (b - 1, t, d))  # the other sequences replaced

    ln_moved = max(
        float(np.max(np.abs(ln_tokens(repadded)[0, :real] - ln_tokens(x)[0, :real]))),
        float(np.max(np.abs(ln_tokens(other_batch)[0] - ln_tokens(x)[0]))),
    )
    bn_moved = min(
        float(np.max(np.abs(bn_tokens(repadded)[0, :real] - bn_tokens(x)[0, :real]))),
        float(np.max(np.abs(bn_tokens(other_batch)[0] - bn_tokens(x)[0]))),
    )
    decoded = layer_norm(Tensor(x[0, real - 1]), d).data  # one token alone, as in decoding
    alone = float(np.max(np.abs(decoded - ln_tokens(x)[0, real - 1])))

    # Gradient of a loss on one token (sequence 0, position 0) with respect to every token.
    g = np.zeros_like(x)
    g[0, 0] = rng.standard_normal(d)
    x_ln = Tensor(x, requires_grad=True)
    layer_norm(x_ln, d).backward(gradient=g)
    x_bn = Tensor(x.reshape(b * t, d), requires_grad=True)
    batch_norm(x_bn, None, None, training=True).backward(gradient=g.reshape(b * t, d))
    ln_leak = float(np.max(np.abs(grad_of(x_ln).reshape(b * t, d)[1:])))
    bn_leak = float(np.max(np.abs(grad_of(x_bn)[1:])))

    small = rng.normal(0.5, 1.5, (2, 3, 4))
    upstream = rng.standard_normal((2, 3, 4))

    def ln_loss(v: Tensor, w: Tensor, bias: Tensor) -> Tensor:
        return (layer_norm(v, 4, w, bias) * Tensor(upstream)).sum()

    def bn_loss(v: Tensor) -> Tensor:
        out = batch_norm(v.reshape(6, 4), None, None, training=True)
        return (out * Tensor(upstream.reshape(6, 4))).sum()

    checks = [
        Check.equal(
            "layer norm: sequence 0's real tokens keep their outputs when the padding values or "
            "the other sequences change (largest change)",
            ln_moved,
            0.0,
        ),
        Check.at_least(
            "batch norm over (batch × positions): the same changes move sequence 0's outputs "
            "(the smaller of the two largest changes)",
            bn_moved,
            1e-3,
        ),
        Check.at_most(
            "layer norm of one token alone (decoding, batch 1) equals its output inside the "
            "padded batch",
            alone,
            1e-15,
        ),
        Check.equal(
            "layer norm: a loss on one token sends no gradient to any other token (largest |dx|)",
            ln_leak,
            0.0,
        ),
        Check.at_least(
            "batch norm: the same loss sends gradient to every other token (largest |dx|)",
            bn_leak,
            1e-6,
        ),
        gradcheck_all(
            "the engine's layer norm gradients (x, γ, β) equal central differences",
            ln_loss,
            [small, rng.uniform(0.5, 2, 4), rng.normal(0, 1, 4)],
            ["∂L/∂x", "∂L/∂γ", "∂L/∂β"],
        ),
        gradcheck_all(
            "the engine's batch norm gradient over tokens equals central differences",
            bn_loss,
            [small],
            ["∂L/∂x"],
        ),
    ]
    steps = [
        Step(
            "tokens (B, T, d_model)", f"{b} × {t} × {d}", note=f"sequence 0 has {real} real tokens"
        ),
        Step("layer norm: largest change in sequence 0's real outputs", ln_moved),
        Step("batch norm: largest change in sequence 0's real outputs", bn_moved),
        Step("layer norm's dx outside the token that has the loss", ln_leak),
        Step("batch norm's dx outside that token", bn_leak),
    ]
    return Demo(
        name="layernorm_tokens",
        title="Why Transformers use layer norm: every token on its own",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            "Changing the padding or the other sequences left layer norm's outputs for the real "
            f"tokens exactly as they were, and moved batch norm's by up to {bn_moved:.3g}; one "
            "token's loss reached no other token through layer norm and all of them through "
            "batch norm."
        ),
    )
