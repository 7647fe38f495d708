"""Card 1: inverted dropout forward and backward, and train vs eval.

In training, each entry is kept with probability 1 − p and the survivors are scaled by
1/(1 − p), so E[y] = x; backward multiplies the upstream gradient by the very mask (scale
included) that forward drew; in eval mode dropout is the identity.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks, max_abs_difference
from app.demos.registry import register
from app.demos.regularization.common import dropout_module, grad_of
from app.engine import Tensor

SIGMAS = 5.0  # statistical checks allow five standard errors


class DropoutInvertedParams(DemoParams):
    batch: int = Field(default=4, ge=2, le=16, description="Rows of X.")
    features: int = Field(default=6, ge=2, le=16, description="Columns of X.")
    p: float = Field(default=0.2, ge=0.05, le=0.8, description="Drop probability.")
    draws: int = Field(default=400, ge=100, le=2000, description="Masks drawn for the mean.")


@register(
    "dropout_inverted",
    "Inverted dropout: scaling, the backward mask, train vs eval",
    DropoutInvertedParams,
    rules=("dropout.scaling", "dropout.vjp", "dropout.eval_identity"),
)
def dropout_inverted(params: DropoutInvertedParams) -> Demo:
    """Run the demo: one mask forward and backward, many masks for the expectation, eval."""
    rng = params.rng()
    p = params.p
    x_data = rng.uniform(0.5, 2.0, (params.batch, params.features)) * rng.choice(
        [-1.0, 1.0], (params.batch, params.features)
    )
    upstream = rng.standard_normal(x_data.shape)

    x = Tensor(x_data, requires_grad=True)
    y = dropout_module.dropout(x, p, True, rng)
    y.backward(gradient=upstream)
    kept = y.data != 0
    dx = grad_of(x)

    # Many independent masks at once: the same x stacked `draws` times.
    stack = np.broadcast_to(x_data, (params.draws, *x_data.shape))
    many = dropout_module.dropout(Tensor(stack.copy()), p, True, rng).data
    kept_share = float(np.mean(many != 0))
    n = many.size
    share_se = math.sqrt(p * (1 - p) / n)
    ratio = float(np.mean(many / stack))
    ratio_se = math.sqrt(p / ((1 - p) * n))

    layer = dropout_module.Dropout(p, seed=params.seed)
    train_a, train_b = layer(Tensor(stack.copy())).data, layer(Tensor(stack.copy())).data
    layer.eval()
    eval_a, eval_b = layer(Tensor(x_data)).data, layer(Tensor(x_data)).data

    def loss(v: Tensor) -> Tensor:
        # An int generator draws the same mask every call, so central differences see one
        # fixed function.
        return (dropout_module.dropout(v, p, True, params.seed) * Tensor(upstream)).sum()

    checks = [
        Check.at_most(
            "kept entries are x/(1 − p), dropped entries are exactly 0 (largest error)",
            max_abs_difference(np.where(kept, x_data / (1 - p), 0.0), y.data),
            1e-12,
        ),
        Check.at_most(
            "the share of kept entries is 1 − p (difference in standard errors)",
            abs(kept_share - (1 - p)) / share_se,
            SIGMAS,
        ),
        Check.at_most(
            f"over {params.draws} masks the mean of y/x is 1: E[y] = x (difference in standard "
            "errors)",
            abs(ratio - 1.0) / ratio_se,
            SIGMAS,
        ),
        Check.at_most(
            "backward multiplies g by the forward's own mask, 1/(1 − p) included (largest error)",
            max_abs_difference(dx, upstream * kept / (1 - p)),
            1e-12,
        ),
        *finite_difference_checks(loss, [x_data], ["∂L/∂x with one fixed mask"]),
        Check.at_least(
            "in training mode two calls draw different masks (entries that differ)",
            int(np.sum(train_a != train_b)),
            1,
        ),
        Check.equal(
            "in eval mode the module returns its input unchanged (entries that differ)",
            int(np.sum(eval_a != x_data) + np.sum(eval_b != x_data)),
            0,
        ),
    ]
    steps = [
        Step("X", x_data, r"X \in \mathbb{R}^{B\times n}"),
        Step("mask M (kept = 1)", kept.astype(float), r"M_{ij} \sim \mathrm{Bernoulli}(1-p)"),
        Step("Y = X ⊙ M / (1 − p)", y.data, r"Y = \frac{X \odot M}{1-p}"),
        Step("upstream G", upstream),
        Step(
            "∂L/∂X = G ⊙ M / (1 − p)", dx, r"\frac{\partial L}{\partial X} = \frac{G\odot M}{1-p}"
        ),
        Step("share kept over all masks", kept_share, r"\approx 1 - p"),
        Step("mean of Y/X over all masks", ratio, r"\mathbb{E}[Y] = X"),
        Step("eval-mode output", eval_a, "the input itself"),
    ]
    return Demo(
        name="dropout_inverted",
        title="Inverted dropout: scaling, the backward mask, train vs eval",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With p = {p:g}, {kept_share:.1%} of {n} entries survived, each scaled by "
            f"1/(1 − p) = {1 / (1 - p):.4g}, so the mean of y/x was {ratio:.4f}; backward reused "
            "the forward mask and eval mode returned x unchanged."
        ),
    )
