"""Card 1: momentum in a narrow valley. On f(θ) = ½ θᵀAθ with condition number κ, the best
plain step η = 2/(λ_min + λ_max) contracts the error by (κ − 1)/(κ + 1) per step; heavy-ball
momentum with Polyak's tuning contracts it by (√κ − 1)/(√κ + 1), so it needs about √κ times
fewer steps. The engine's SGD(momentum=μ) is held to PyTorch's update by hand."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import bowl, heavy_ball, quiet, relative_error, run, steps_to
from app.demos.registry import register
from app.engine import SGD

STEPS = 400
TOLERANCE = 1e-6


class MomentumValleyParams(DemoParams):
    kappa: float = Field(default=100.0, ge=10.0, le=400.0, description="κ = λ_max/λ_min.")


def rates(kappa: float) -> tuple[float, float]:
    """Per-step contraction of tuned GD and of tuned heavy ball on a κ-conditioned quadratic."""
    root = math.sqrt(kappa)
    return (kappa - 1) / (kappa + 1), (root - 1) / (root + 1)


def measured_rate(errors: np.ndarray, start: int, stop: int) -> float:
    """Geometric mean of the per-step error ratio between two steps."""
    return float((errors[stop] / errors[start]) ** (1 / (stop - start)))


@register(
    "momentum_valley",
    "Momentum in a narrow valley",
    MomentumValleyParams,
    rules=("optim.sgd_momentum", "optim.sgd_step"),
)
@quiet
def momentum_valley(params: MomentumValleyParams) -> Demo:
    """Run the demo: tuned GD against tuned heavy ball on an ill-conditioned quadratic."""
    rng = params.rng()
    kappa = params.kappa
    low, high = 1.0, kappa
    a = bowl(rng, np.array([low, high]))
    theta0 = rng.standard_normal(2)
    theta0 *= 1 / np.linalg.norm(theta0)

    def gradient(theta: np.ndarray, t: int) -> np.ndarray:
        return np.asarray(a @ theta)

    lr_gd = 2 / (low + high)
    lr_hb = 4 / (math.sqrt(low) + math.sqrt(high)) ** 2
    mu = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    gd = run(lambda p: SGD(p, lr=lr_gd), theta0, gradient, STEPS)
    hb = run(lambda p: SGD(p, lr=lr_hb, momentum=mu), theta0, gradient, STEPS)
    hb_hand = heavy_ball(theta0, gradient, STEPS, lr_hb, mu)
    gd_hand = heavy_ball(theta0, gradient, STEPS, lr_gd, 0.0)
    gd_err, hb_err = np.linalg.norm(gd, axis=1), np.linalg.norm(hb, axis=1)
    rate_gd, rate_hb = rates(kappa)
    n_gd, n_hb = steps_to(gd_err, TOLERANCE), steps_to(hb_err, TOLERANCE)
    # Tuned heavy ball has a double root: the error is (c₀ + c₁t)·rᵗ, so measure late and long.
    hb_measured = measured_rate(hb_err, STEPS // 4, STEPS // 4 + 60)
    gd_measured = measured_rate(gd_err, STEPS // 2, STEPS)
    # Steps per e-fold of the error, −1/ln(rate): their ratio is the speed-up, ≈ √κ.
    speedup = math.log(hb_measured) / math.log(gd_measured)
    checks = [
        Check.at_most(
            "the engine's SGD(momentum=μ) follows PyTorch's b ← μb + g, θ ← θ − ηb "
            "(relative difference of the paths)",
            relative_error(hb, hb_hand),
            1e-12,
        ),
        Check.at_most(
            "the engine's plain SGD follows θ ← θ − ηg (relative difference of the paths)",
            relative_error(gd, gd_hand),
            1e-12,
        ),
        Check.between(
            "tuned GD's measured contraction per step over (κ − 1)/(κ + 1)",
            gd_measured / rate_gd,
            0.999,
            1.001,
        ),
        Check.between(
            "tuned heavy ball's measured contraction per step over (√κ − 1)/(√κ + 1)",
            hb_measured / rate_hb,
            0.97,
            1.03,
        ),
        Check.between(
            "speed-up: GD's steps per e-fold of the error over heavy ball's, divided by √κ",
            speedup / math.sqrt(kappa),
            0.8,
            1.2,
        ),
    ]
    every = range(0, STEPS + 1, 4)
    charts = [
        Chart(
            "Distance to the minimum",
            "step",
            "‖θ − θ*‖",
            [
                Series("SGD, η = 2/(λmin + λmax)", list(every), [float(gd_err[i]) for i in every]),
                Series(
                    f"SGD momentum μ = {mu:.3f}", list(every), [float(hb_err[i]) for i in every]
                ),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step(
            "A (Hessian)",
            a,
            r"f(\theta) = \tfrac12 \theta^\top A \theta,\ A \in \mathbb{R}^{2\times 2}",
        ),
        Step("θ₀", theta0),
        Step("GD: η, predicted rate", f"η = {lr_gd:.4g}, (κ−1)/(κ+1) = {rate_gd:.4f}"),
        Step(
            "heavy ball: η, μ, predicted rate",
            f"η = {lr_hb:.4g}, μ = {mu:.4f}, (√κ−1)/(√κ+1) = {rate_hb:.4f}",
            r"\eta = \tfrac{4}{(\sqrt{\lambda_{\max}}+\sqrt{\lambda_{\min}})^2},\ "
            r"\mu = \big(\tfrac{\sqrt\kappa-1}{\sqrt\kappa+1}\big)^2",
        ),
        Step("measured rates (GD, heavy ball)", np.array([gd_measured, hb_measured])),
        Step("speed-up ln(rate_hb)/ln(rate_gd) and √κ", np.array([speedup, math.sqrt(kappa)])),
        Step(
            f"steps to ‖θ‖ < {TOLERANCE:g} (GD, heavy ball)",
            np.array([n_gd, n_hb], dtype=np.float64),
            note=f"{STEPS + 1} means not reached within {STEPS} steps",
        ),
    ]
    return Demo(
        name="momentum_valley",
        title="Momentum in a narrow valley",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With κ = {kappa:g}, tuned GD shrinks the error by {rate_gd:.4f} per step and tuned "
            f"heavy ball by {rate_hb:.4f}; heavy ball reached {TOLERANCE:g} in {n_hb} steps, GD "
            f"took {n_gd if n_gd <= STEPS else f'more than {STEPS}'}."
        ),
    )
