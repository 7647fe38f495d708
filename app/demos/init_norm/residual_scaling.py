"""Card 12: residual branches: why they are scaled, zero-initialised, or Fixup-initialised.

In h ← h + α·F(h) each unscaled branch adds its own variance: with a branch that preserves
variance, Var(h) doubles per block, 2^L over L blocks. Scaling the branch by α = 1/√L gives
(1 + 1/L)^L ≈ e. Zero-initialising the last layer of each branch (W2 = 0, as Fixup and the
"zero-γ" trick do) makes every block the identity at the start: the output equals the input,
W2 still gets a gradient, and W1 gets one after the first step.

Fixup (Zhang et al., 2019) with two-layer branches (m = 2) adds the L^{−1/(2m−2)} = L^{−1/2}
scale on W1 (on top of He): the first SGD step then changes the output by about as much at depth
L as one block does, while without the scale the change grows at least like L. Fixup's scalar
multipliers (init 1) and biases (init 0) leave the function at init unchanged and are left out.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.init_norm.common import grad_of, gradcheck_all
from app.demos.registry import register
from app.engine import Tensor, init, linear

UNSCALED_MIN = 1.4  # unscaled: Var(h) grows by at least this per block (about 2)
SCALED_BAND = (1.3, 6.0)  # α = 1/√L: Var(h_L)/Var(h_0) near e
FIXUP_BAND = (0.5, 2.0)  # Fixup: first-step output change at depth L over one block's, about 1
UNSCALED_STEP_MIN = 0.5  # zero W2 but no L^(-1/2): that ratio is at least this times L
REFERENCE_BLOCKS = 8  # single blocks averaged for the depth-1 reference
STEP = 1e-3  # the SGD step size of the first-step comparison


class ResidualScalingParams(DemoParams):
    depth: int = Field(default=16, ge=4, le=32, description="Residual blocks L.")
    width: int = Field(default=32, ge=16, le=64, description="Units per layer.")
    batch: int = Field(default=16, ge=8, le=32, description="Examples.")


def forward(x: Tensor, weights: list[tuple[Tensor, Tensor]], alpha: float) -> list[Tensor]:
    """[h_0, ..., h_L] with h_ℓ = h_{ℓ−1} + α·relu(h_{ℓ−1} W1ᵀ) W2ᵀ."""
    hs = [x]
    for w1, w2 in weights:
        hs.append(hs[-1] + linear(linear(hs[-1], w1).relu(), w2) * alpha)
    return hs


def first_step_change(
    rng: np.random.Generator, blocks: int, d: int, x: np.ndarray, upstream: np.ndarray, scale: float
) -> float:
    """‖Δh_L‖ / η after one SGD step of size η on every W2 of a net with W2 = 0 and
    W1 = scale·(He draw), for the loss Σ upstream ⊙ h_L (h_L = x at init)."""
    ws = [
        (
            Tensor(
                scale * init.kaiming_normal_(np.empty((d, d)), nonlinearity="relu", generator=rng)
            ),
            Tensor(np.zeros((d, d)), requires_grad=True),
        )
        for _ in range(blocks)
    ]
    (forward(Tensor(x), ws, 1.0)[-1] * Tensor(upstream)).sum().backward()
    stepped = [(w1, Tensor(w2.data - STEP * grad_of(w2))) for w1, w2 in ws]
    return float(np.linalg.norm(forward(Tensor(x), stepped, 1.0)[-1].data - x)) / STEP


def variances(hs: list[Tensor]) -> list[float]:
    return [float(np.mean(h.data**2)) for h in hs]


@register(
    "residual_scaling",
    "Residual branches: scaling, zero-init of the last layer, Fixup",
    ResidualScalingParams,
    rules=("linear.vjp", "relu.vjp", "add.vjp"),
)
def residual_scaling(params: ResidualScalingParams) -> Demo:
    """Run the demo: variance through residual blocks, and a zero-initialised last layer."""
    rng = params.rng()
    L, d = params.depth, params.width

    def weights(zero_last: bool) -> list[tuple[Tensor, Tensor]]:
        out = []
        for _ in range(L):
            w1 = init.kaiming_normal_(np.empty((d, d)), nonlinearity="relu", generator=rng)
            w2 = init.kaiming_normal_(np.empty((d, d)), nonlinearity="linear", generator=rng)
            out.append(
                (
                    Tensor(w1, requires_grad=True),
                    Tensor(0 * w2 if zero_last else w2, requires_grad=True),
                )
            )
        return out

    x_data = rng.standard_normal((params.batch, d))
    x = Tensor(x_data)
    unscaled = variances(forward(x, weights(False), 1.0))
    scaled = variances(forward(x, weights(False), 1 / math.sqrt(L)))
    zero_w = weights(True)
    zero_hs = forward(x, zero_w, 1.0)
    upstream = rng.standard_normal((params.batch, d))
    (zero_hs[-1] * Tensor(upstream)).sum().backward()
    dw1 = [grad_of(w1) for w1, _ in zero_w]
    dw2 = [grad_of(w2) for _, w2 in zero_w]
    # One small step on W2 (length 0.01 along −∂L/∂W2), then the W1 gradients come alive.
    stepped = [
        (
            Tensor(w1.data, requires_grad=True),
            Tensor(w2.data - 0.01 * g / max(float(np.linalg.norm(g)), 1e-300), requires_grad=True),
        )
        for (w1, w2), g in zip(zero_w, dw2, strict=True)
    ]
    (forward(x, stepped, 1.0)[-1] * Tensor(upstream)).sum().backward()
    dw1_after = [grad_of(w1) for w1, _ in stepped]

    one_block = float(
        np.mean(
            [first_step_change(rng, 1, d, x_data, upstream, 1.0) for _ in range(REFERENCE_BLOCKS)]
        )
    )
    one_block = one_block if one_block > 0 else math.nan  # a broken rule may give no step
    fixup = first_step_change(rng, L, d, x_data, upstream, L**-0.5) / one_block
    no_scale = first_step_change(rng, L, d, x_data, upstream, 1.0) / one_block

    small = [rng.standard_normal((3, 4))]
    for _ in range(2):
        small += [rng.standard_normal((4, 4)), rng.standard_normal((4, 4))]
    small_up = rng.standard_normal((3, 4))

    def loss(v: Tensor, *ws: Tensor) -> Tensor:
        pairs = list(zip(ws[0::2], ws[1::2], strict=True))
        return (forward(v, pairs, 0.5)[-1] * Tensor(small_up)).sum()

    unscaled_factor = (unscaled[-1] / unscaled[0]) ** (1 / L)
    checks = [
        Check.at_least(
            "unscaled branches: Var(h) grows geometrically, about ×2 per block (per-block factor)",
            unscaled_factor,
            UNSCALED_MIN,
        ),
        Check.between(
            "branches scaled by 1/√L: Var(h_L)/Var(h_0) stays near (1 + 1/L)^L ≈ e",
            scaled[-1] / scaled[0],
            *SCALED_BAND,
        ),
        Check.equal(
            "last layer of every branch zero: the network is the identity at init "
            "(largest |h_L − x|)",
            float(np.max(np.abs(zero_hs[-1].data - x_data))),
            0.0,
        ),
        Check.equal(
            "zero last layer: W1 gets exactly zero gradient at init (nonzero entries)",
            int(sum(np.count_nonzero(g) for g in dw1)),
            0,
        ),
        Check.at_least(
            "zero last layer: W2 still gets a gradient (smallest ‖∂L/∂W2‖ over the blocks)",
            min(float(np.linalg.norm(g)) for g in dw2),
            1e-3,
        ),
        Check.at_least(
            "after one small gradient step on W2, every W1 gets a gradient (smallest ‖∂L/∂W1‖)",
            min(float(np.linalg.norm(g)) for g in dw1_after),
            1e-6,
        ),
        Check.between(
            f"Fixup (W2 = 0, W1 × L^(-1/2) on top of He): one SGD step changes the output about "
            f"as much at depth {L} as one block does (‖Δh_L‖ over the mean of "
            f"{REFERENCE_BLOCKS} single blocks')",
            fixup,
            *FIXUP_BAND,
        ),
        Check.at_least(
            f"W2 = 0 without Fixup's L^(-1/2): the same step changes the output at least L/2 "
            f"times as much (that ratio over L = {L})",
            no_scale / L,
            UNSCALED_STEP_MIN,
        ),
        gradcheck_all(
            "a 2-block residual net's gradients (x, every W) equal central differences",
            loss,
            small,
            ["∂L/∂x", "∂L/∂W1 (1)", "∂L/∂W2 (1)", "∂L/∂W1 (2)", "∂L/∂W2 (2)"],
        ),
    ]
    blocks: list[float | int] = list(range(L + 1))
    charts = [
        Chart(
            "E[h_ℓ²] through the residual blocks",
            "block ℓ",
            "E[h_ℓ²]",
            [
                Series("unscaled branches", blocks, unscaled),
                Series("branches × 1/√L", blocks, scaled),
                Series("last layer zero", blocks, variances(zero_hs)),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step(
            "block",
            "h ← h + α·W2 relu(W1 h)",
            r"h_\ell = h_{\ell-1} + \alpha\,W_2\,\mathrm{relu}(W_1 h_{\ell-1})",
        ),
        Step("unscaled: Var(h_L)/Var(h_0)", unscaled[-1] / unscaled[0], note=f"2^L = {2.0**L:.3g}"),
        Step(
            "α = 1/√L: Var(h_L)/Var(h_0)",
            scaled[-1] / scaled[0],
            note=f"(1 + 1/L)^L = {(1 + 1 / L) ** L:.3g}",
        ),
        Step(
            "zero last layer: ‖∂L/∂W2‖ per block", np.array([float(np.linalg.norm(g)) for g in dw2])
        ),
        Step(
            "after one step: ‖∂L/∂W1‖ per block",
            np.array([float(np.linalg.norm(g)) for g in dw1_after]),
        ),
        Step(
            "first SGD step's ‖Δh_L‖ over one block's: Fixup, W2 = 0 without the scale",
            f"{fixup:.3g}, {no_scale:.3g}",
            r"W_1 \leftarrow L^{-1/(2m-2)}\,W_1^{\text{He}},\ m = 2",
            f"L = {L}",
        ),
    ]
    return Demo(
        name="residual_scaling",
        title="Residual branches: scaling, zero-init of the last layer, Fixup",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Over {L} blocks the unscaled residual net's variance grew "
            f"{unscaled[-1] / unscaled[0]:.2g}×, "
            f"the 1/√L-scaled one {scaled[-1] / scaled[0]:.2f}×; with each branch's last layer "
            "zero the net started as the identity and still learned; with Fixup's L^(-1/2) the "
            f"first step moved the output {fixup:.2g}× as much as one block does, without it "
            f"{no_scale:.2g}×."
        ),
    )
