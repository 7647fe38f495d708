"""Card 3: Adam, and what its bias correction fixes. m and v start at 0, so after t steps of a
constant gradient g they hold (1 − β₁ᵗ)g and (1 − β₂ᵗ)g²; dividing by those factors makes m̂ = g
and v̂ = g² exactly. Uncorrected, the first step would be (1 − β₁)/√(1 − β₂) times γ·sign(g):
3.16γ with the defaults, too large, not too small."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import adam_by_hand, quiet, relative_error
from app.demos.registry import register
from app.engine import Adam, Tensor

LR = 1e-2
EPS = 1e-8
STEPS = 30
SCALES = np.array([1e-3, 1.0, 1e3])  # gradient scales of the three coordinates


class AdamBiasParams(DemoParams):
    beta1: float = Field(default=0.9, ge=0.5, le=0.99, description="β₁.")
    beta2: float = Field(default=0.999, ge=0.9, le=0.9999, description="β₂.")


@register(
    "adam_bias_correction",
    "Adam's bias correction",
    AdamBiasParams,
    rules=("optim.adam_moments", "optim.adam_bias_correction"),
)
@quiet
def adam_bias_correction(params: AdamBiasParams) -> Demo:
    """Run the demo: Adam on constant and on noisy gradients, against its documented update."""
    rng = params.rng()
    betas = (params.beta1, params.beta2)
    beta1, beta2 = betas
    constant = SCALES * rng.choice([-1.0, 1.0], size=3) * rng.uniform(0.5, 2.0, size=3)
    noisy = SCALES * rng.standard_normal((STEPS, 3))

    # Constant gradient: the engine's state after each step, and the path.
    theta = Tensor(np.zeros(3), requires_grad=True)
    optimizer = Adam([theta], lr=LR, betas=betas, eps=EPS)
    path, m_seen, v_seen = [theta.data.copy()], [], []
    for _ in range(STEPS):
        theta.grad = constant.copy()
        optimizer.step()
        path.append(theta.data.copy())
        state = optimizer.state[theta]
        m_seen.append(state["exp_avg"].copy())
        v_seen.append(state["exp_avg_sq"].copy())
    t = np.arange(1, STEPS + 1)[:, None]
    m_expected = (1 - beta1**t) * constant
    v_expected = (1 - beta2**t) * constant**2
    moves = -np.diff(np.array(path), axis=0)
    unbiased = LR * constant / (np.abs(constant) + EPS)  # γ·g/(|g| + ε) at every step
    uncorrected = LR * (m_expected / (np.sqrt(v_expected) + EPS))
    # Read on the largest coordinate, where ε is negligible beside √v₁.
    first_ratio = float(abs(uncorrected[0, 2]) / abs(moves[0, 2]))
    predicted_ratio = (1 - beta1) / math.sqrt(1 - beta2)

    # Noisy gradients: the whole path against the documented pseudo-code.
    theta2 = Tensor(np.zeros(3), requires_grad=True)
    optimizer2 = Adam([theta2], lr=LR, betas=betas, eps=EPS)
    noisy_path = [theta2.data.copy()]
    for g in noisy:
        theta2.grad = g.copy()
        optimizer2.step()
        noisy_path.append(theta2.data.copy())
    hand, _ = adam_by_hand(np.zeros(3), lambda th, k: noisy[k], STEPS, LR, betas, EPS)

    checks = [
        Check.at_most(
            "the engine's Adam follows the documented update on noisy gradients "
            "(relative difference of the paths)",
            relative_error(np.array(noisy_path), hand),
            1e-12,
        ),
        Check.at_most(
            "with a constant gradient, m_t = (1 − β₁ᵗ)g and v_t = (1 − β₂ᵗ)g² in the engine's "
            "state: biased toward 0 (relative error)",
            max(
                relative_error(np.array(m_seen), m_expected),
                relative_error(np.array(v_seen), v_expected),
            ),
            1e-12,
        ),
        Check.at_most(
            "after correction every step is γ·g/(|g| + ε), the same at t = 1 as later, for "
            "gradient scales 1e-3, 1 and 1e3 (relative error)",
            relative_error(moves, np.broadcast_to(unbiased, moves.shape)),
            1e-10,
        ),
        Check.at_most(
            "uncorrected, the first step would be (1 − β₁)/√(1 − β₂) times the corrected one "
            "(relative error of the ratio)",
            abs(first_ratio / predicted_ratio - 1),
            1e-6,
        ),
    ]
    x: list[float | int] = [int(k) for k in t[:, 0]]
    charts = [
        Chart(
            "Step size on a constant gradient, in units of γ",
            "step t",
            "|Δθ| / γ",
            [
                Series("Adam (bias-corrected)", x, [float(abs(d)) / LR for d in moves[:, 1]]),
                Series("without correction", x, [float(abs(u)) / LR for u in uncorrected[:, 1]]),
            ],
            y_from_zero=True,
        )
    ]
    steps = [
        Step("constant gradient g (three scales)", constant),
        Step(
            "m₁, v₁ in the engine's state",
            np.array([m_seen[0], v_seen[0]]),
            r"m_1 = (1-\beta_1) g,\ v_1 = (1-\beta_2) g^2",
        ),
        Step(
            "first step |Δθ₁| (each coordinate)", np.abs(moves[0]), r"\gamma\,|g|/(|g| + \epsilon)"
        ),
        Step(
            "uncorrected first step over corrected",
            first_ratio,
            r"(1-\beta_1)/\sqrt{1-\beta_2}",
        ),
    ]
    return Demo(
        name="adam_bias_correction",
        title="Adam's bias correction",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With β = ({beta1:g}, {beta2:g}) the raw moments start at (1 − β₁)g and (1 − β₂)g²; "
            f"corrected, every step on a constant gradient is γ·sign(g) for gradients from 1e-3 "
            f"to 1e3, while the uncorrected first step would be {predicted_ratio:.3g} times that."
        ),
    )
