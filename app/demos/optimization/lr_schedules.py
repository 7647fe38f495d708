"""Card 8: step and cosine schedules, and why the learning rate is decayed at the end. With a
noisy gradient, SGD at a constant η settles into a noise floor: on a quadratic of curvature λ
with gradient noise σ², the stationary loss is ησ²/(2(2 − ηλ)), proportional to η. Decaying η
at the end (StepLR's drops, or the cosine's tail) shrinks that floor."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error
from app.demos.registry import register
from app.engine import SGD, Tensor, lr_scheduler
from app.engine.optim import Optimizer

STEPS = 300
COORDS = 512
CURVATURE = 1.0
SIGMA = 1.0
TAIL = 20  # steps averaged for the final loss


class LrSchedulesParams(DemoParams):
    lr: float = Field(default=0.2, ge=0.1, le=0.5, description="Base learning rate η.")


def train(
    lr: float, schedule: str, noise: np.ndarray, theta0: np.ndarray
) -> tuple[list[float], list[float]]:
    """SGD on Σ ½λθᵢ² with gradient λθ + σξ; returns the loss per step and the lr per step."""
    theta = Tensor(theta0.copy(), requires_grad=True)
    optimizer: Optimizer = SGD([theta], lr=lr)
    scheduler: lr_scheduler.LRScheduler | None = None
    if schedule == "step":
        scheduler = lr_scheduler.StepLR(optimizer, step_size=STEPS // 3, gamma=0.1)
    elif schedule == "cosine":
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS)
    losses, lrs = [], []
    for t in range(STEPS):
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        theta.grad = CURVATURE * theta.data + SIGMA * noise[t]
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(float(np.mean(0.5 * CURVATURE * theta.data**2)))
    return losses, lrs


@register(
    "lr_schedules",
    "Step and cosine schedules, and the noise floor",
    LrSchedulesParams,
    rules=("lr_scheduler.step", "lr_scheduler.cosine", "optim.sgd_step"),
)
@quiet
def lr_schedules(params: LrSchedulesParams) -> Demo:
    """Run the demo: constant, step and cosine learning rates on a noisy quadratic."""
    rng = params.rng()
    lr = params.lr
    noise = rng.standard_normal((STEPS, COORDS))
    theta0 = rng.standard_normal(COORDS) * 3.0
    constant, _ = train(lr, "constant", noise, theta0)
    stepped, step_lrs = train(lr, "step", noise, theta0)
    cosine, cos_lrs = train(lr, "cosine", noise, theta0)
    k = np.arange(STEPS)
    step_expected = lr * 0.1 ** (k // (STEPS // 3))
    cos_expected = lr * (1 + np.cos(math.pi * k / STEPS)) / 2
    # The cosine run by hand: θ ← θ − η_k(λθ + σξ_k) with the closed-form η_k.
    hand = theta0.copy()
    for t in range(STEPS):
        hand = hand - cos_expected[t] * (CURVATURE * hand + SIGMA * noise[t])
    hand_loss = float(np.mean(0.5 * CURVATURE * hand**2))
    floor = lr * SIGMA**2 / (2 * (2 - lr * CURVATURE))
    final = {
        name: float(np.mean(curve[-TAIL:]))
        for name, curve in (("constant", constant), ("step", stepped), ("cosine", cosine))
    }
    checks = [
        Check.at_most(
            "StepLR(step_size, γ = 0.1) gives η·0.1^⌊k/step_size⌋ (relative error)",
            relative_error(np.array(step_lrs), step_expected),
            1e-12,
        ),
        Check.at_most(
            "CosineAnnealingLR(T_max) gives η(1 + cos(πk/T_max))/2 (relative error)",
            relative_error(np.array(cos_lrs), cos_expected),
            1e-12,
        ),
        Check.at_most(
            "the engine's SGD under the cosine schedule matches θ ← θ − η_k g by hand "
            "(relative error of the final loss)",
            abs(cosine[-1] / hand_loss - 1),
            1e-10,
        ),
        Check.between(
            "constant η: final loss over the predicted floor ησ²/(2(2 − ηλ))",
            final["constant"] / floor,
            0.85,
            1.15,
        ),
        Check.at_most(
            "step decay: final loss over the constant-η floor",
            final["step"] / final["constant"],
            0.3,
        ),
        Check.at_most(
            "cosine decay: final loss over the constant-η floor",
            final["cosine"] / final["constant"],
            0.3,
        ),
    ]
    ticks = range(1, STEPS + 1, 3)
    x: list[float | int] = list(ticks)
    charts = [
        Chart(
            "Loss per coordinate on a noisy quadratic",
            "step",
            "mean ½λθ²",
            [
                Series(f"constant η = {lr:g}", x, [constant[i - 1] for i in ticks]),
                Series("StepLR ×0.1 every 100", x, [stepped[i - 1] for i in ticks]),
                Series("CosineAnnealingLR", x, [cosine[i - 1] for i in ticks]),
            ],
            log_y=True,
        ),
        Chart(
            "Learning rate",
            "step",
            "η",
            [
                Series("StepLR", x, [step_lrs[i - 1] for i in ticks]),
                Series("CosineAnnealingLR", x, [cos_lrs[i - 1] for i in ticks]),
            ],
            y_from_zero=True,
        ),
    ]
    steps = [
        Step("predicted floor at constant η", floor, r"\frac{\eta\sigma^2}{2(2-\eta\lambda)}"),
        Step(
            f"final loss (mean of the last {TAIL} steps): constant, step, cosine",
            np.array([final["constant"], final["step"], final["cosine"]]),
        ),
        Step("StepLR's lr at steps 0, 100, 200", np.array(step_lrs[:: STEPS // 3])),
    ]
    return Demo(
        name="lr_schedules",
        title="Step and cosine schedules, and the noise floor",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"At a constant η = {lr:g} the loss settles at {final['constant']:.3g} (predicted "
            f"{floor:.3g}); decaying the rate at the end brings it to {final['step']:.3g} (step) "
            f"and {final['cosine']:.3g} (cosine)."
        ),
    )
