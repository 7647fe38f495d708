"""Card 11: Pre-LN vs Post-LN Transformer blocks: the gradients at initialisation.

Post-LN, h ← LN(h + F(h)), puts a layer norm on the residual path, so the top block's
gradient keeps its size however deep the stack is (Xiong et al., 2020: large updates near the
output, hence the learning-rate warm-up). Pre-LN, h ← h + F(LN(h)) with one final LN, keeps
an identity path from the loss to every block; the residual stream grows like √L, the final LN
divides by it, and the top block's gradient shrinks like 1/√L.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.init_norm.common import grad_of, gradcheck_all
from app.demos.registry import register
from app.engine import Tensor, init, layer_norm, linear

NETS = 3  # independent draws averaged (geometric mean), so one unlucky draw cannot decide
PRE_SHRINK_MAX = 0.8  # Pre-LN: top block's gradient at depth L over depth 1, at most
POST_BAND = (0.6, 1.7)  # Post-LN: the same ratio, no trend (1/√(L + 1) ≤ 0.38 falls out)
POST_OVER_PRE_MIN = 1.4  # Post ratio / Pre ratio: at least this (observed ≥ 1.56)
SQRT_L_BAND = (0.4, 2.5)  # Pre-LN: ratio·√(L + 1), about constant


class PrePostLnParams(DemoParams):
    depth: int = Field(default=8, ge=6, le=24, description="Residual blocks L.")
    width: int = Field(default=16, ge=16, le=32, description="d_model (the MLP is 4·d wide).")
    batch: int = Field(default=16, ge=8, le=32, description="Tokens.")


def block_weights(rng: np.random.Generator, depth: int, d: int) -> list[tuple[Tensor, Tensor]]:
    """(W1: 4d × d, He; W2: d × 4d, Xavier) per block, as a ReLU MLP sub-layer."""
    return [
        (
            Tensor(
                init.kaiming_normal_(np.empty((4 * d, d)), nonlinearity="relu", generator=rng),
                requires_grad=True,
            ),
            Tensor(init.xavier_normal_(np.empty((d, 4 * d)), generator=rng), requires_grad=True),
        )
        for _ in range(depth)
    ]


def stack(kind: str, h: Tensor, weights: list[tuple[Tensor, Tensor]]) -> Tensor:
    """Post-LN: h ← LN(h + F(h)); Pre-LN: h ← h + F(LN(h)), then a final LN."""
    d = h.shape[-1]
    for w1, w2 in weights:
        if kind == "Post-LN":
            h = layer_norm(h + linear(linear(h, w1).relu(), w2), d)
        else:
            h = h + linear(linear(layer_norm(h, d), w1).relu(), w2)
    return h if kind == "Post-LN" else layer_norm(h, d)


def weight_grads(kind: str, depth: int, params: PrePostLnParams, seed: list[int]) -> np.ndarray:
    """‖∂L/∂W2_ℓ‖ for ℓ = 1..depth, L = Σ R ⊙ output (R standard normal)."""
    rng = np.random.default_rng(seed)
    d = params.width
    weights = block_weights(rng, depth, d)
    x = Tensor(rng.standard_normal((params.batch, d)))
    upstream = rng.standard_normal((params.batch, d))
    (stack(kind, x, weights) * Tensor(upstream)).sum().backward()
    return np.array([float(np.linalg.norm(grad_of(w2))) for _, w2 in weights])


@register(
    "pre_post_ln",
    "Pre-LN vs Post-LN: gradient norms at initialisation",
    PrePostLnParams,
    rules=("layer_norm.vjp", "linear.vjp", "relu.vjp"),
)
def pre_post_ln(params: PrePostLnParams) -> Demo:
    """Run the demo: the top block's gradient at depth L against depth 1, for both layouts."""
    L = params.depth
    seeds = [[params.seed, k] for k in range(NETS)]
    deep = {k: [weight_grads(k, L, params, s) for s in seeds] for k in ("Post-LN", "Pre-LN")}
    shallow = {k: [weight_grads(k, 1, params, s)[-1] for s in seeds] for k in ("Post-LN", "Pre-LN")}
    ratio = {
        k: math.exp(
            float(np.mean([math.log(g[-1] / s) for g, s in zip(deep[k], shallow[k], strict=True)]))
        )
        for k in deep
    }
    profile = {k: np.exp(np.mean(np.log(np.array(v)), axis=0)) for k, v in deep.items()}

    rng = np.random.default_rng([params.seed, NETS])
    small = [rng.standard_normal((2, 3))]
    for _ in range(2):
        small += [rng.standard_normal((4, 3)) * 0.7, rng.standard_normal((3, 4)) * 0.5]
    upstream = rng.standard_normal((2, 3))

    def loss_of(kind: str) -> Callable[..., Tensor]:
        def loss(x: Tensor, *ws: Tensor) -> Tensor:
            pairs = list(zip(ws[0::2], ws[1::2], strict=True))
            return (stack(kind, x, pairs) * Tensor(upstream)).sum()

        return loss

    names = [
        "∂L/∂x",
        "∂L/∂W1 (block 1)",
        "∂L/∂W2 (block 1)",
        "∂L/∂W1 (block 2)",
        "∂L/∂W2 (block 2)",
    ]
    checks = [
        Check.at_most(
            f"Pre-LN: the top block's ‖∂L/∂W2‖ at depth {L} is smaller than at depth 1 "
            f"(ratio, geometric mean over {NETS} nets)",
            ratio["Pre-LN"],
            PRE_SHRINK_MAX,
        ),
        Check.between(
            "Pre-LN: that ratio times √(L + 1) is of order 1 (the 1/√L law)",
            ratio["Pre-LN"] * math.sqrt(L + 1),
            *SQRT_L_BAND,
        ),
        Check.between(
            f"Post-LN: the top block's ‖∂L/∂W2‖ at depth {L} over depth 1 stays of order 1 "
            "(no shrinking with depth)",
            ratio["Post-LN"],
            *POST_BAND,
        ),
        Check.at_least(
            f"Post-LN's top-block gradient, relative to depth 1, is at least {POST_OVER_PRE_MIN}× "
            "Pre-LN's (Post ratio / Pre ratio)",
            ratio["Post-LN"] / ratio["Pre-LN"],
            POST_OVER_PRE_MIN,
        ),
        gradcheck_all(
            "Post-LN (2 blocks): every gradient equals central differences",
            loss_of("Post-LN"),
            small,
            names,
        ),
        gradcheck_all(
            "Pre-LN (2 blocks): every gradient equals central differences",
            loss_of("Pre-LN"),
            small,
            names,
        ),
    ]
    blocks: list[float | int] = list(range(1, L + 1))
    charts = [
        Chart(
            f"‖∂L/∂W2_ℓ‖ per block at initialisation ({L} blocks)",
            "block ℓ (1 = input side)",
            "‖∂L/∂W2_ℓ‖",
            [Series(k, blocks, v.tolist()) for k, v in profile.items()],
        )
    ]
    steps = [
        Step(
            "Post-LN block",
            "h ← LN(h + F(h))",
            r"h_{\ell} = \mathrm{LN}(h_{\ell-1} + F(h_{\ell-1}))",
        ),
        Step(
            "Pre-LN block",
            "h ← h + F(LN(h)); LN at the end",
            r"h_{\ell} = h_{\ell-1} + F(\mathrm{LN}(h_{\ell-1}))",
        ),
        Step("Post-LN: ‖∂L/∂W2_ℓ‖ per block", profile["Post-LN"]),
        Step("Pre-LN: ‖∂L/∂W2_ℓ‖ per block", profile["Pre-LN"]),
        Step(
            "top block's gradient at depth L / at depth 1: Post-LN, Pre-LN",
            f"{ratio['Post-LN']:.3g}, {ratio['Pre-LN']:.3g}",
            note=f"1/√(L + 1) = {1 / math.sqrt(L + 1):.3g}",
        ),
    ]
    return Demo(
        name="pre_post_ln",
        title="Pre-LN vs Post-LN: gradient norms at initialisation",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Going from 1 block to {L}, the top block's weight gradient changed by a factor "
            f"{ratio['Post-LN']:.2f} in Post-LN and {ratio['Pre-LN']:.2f} in Pre-LN "
            f"(1/√(L + 1) = {1 / math.sqrt(L + 1):.2f})."
        ),
    )
