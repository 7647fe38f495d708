"""Card 6: why Adam wants warmup. At step 1, v̂ is a single squared gradient, so every
coordinate moves by γ·g/(|g| + ε) ≈ ±γ however small or noisy its gradient; later, m̂ averages
the noise out and √v̂ measures the gradient's spread, and steps shrink to about γ·|E g|/rms(g).
The first steps are the largest and the least informed: a LinearLR warmup scales them down."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error
from app.demos.registry import register
from app.engine import Adam, Tensor, lr_scheduler

LR = 1e-3
EPS = 1e-8
COORDS = 256
STEPS = 100
WARMUP = 20
START = 0.05


class AdamWarmupParams(DemoParams):
    snr: float = Field(
        default=0.1, ge=0.02, le=0.2, description="Signal-to-noise |E g|/std(g) per coordinate."
    )


def adam_moves(gradients: np.ndarray, warmup: bool) -> tuple[np.ndarray, list[float]]:
    """|Δθ| per step and coordinate for Adam on the given gradients, and the lr of each step."""
    theta = Tensor(np.zeros(gradients.shape[1]), requires_grad=True)
    optimizer = Adam([theta], lr=LR, eps=EPS)
    schedule = (
        lr_scheduler.LinearLR(optimizer, start_factor=START, total_iters=WARMUP) if warmup else None
    )
    moves, lrs = [], []
    for g in gradients:
        before = theta.data.copy()
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        theta.grad = g.copy()
        optimizer.step()
        if schedule is not None:
            schedule.step()
        moves.append(np.abs(theta.data - before))
    return np.array(moves), lrs


@register(
    "adam_warmup",
    "Adam's first steps, with and without warmup",
    AdamWarmupParams,
    rules=("optim.adam_bias_correction", "lr_scheduler.linear"),
)
@quiet
def adam_warmup(params: AdamWarmupParams) -> Demo:
    """Run the demo: Adam on low signal-to-noise gradients, then with a linear warmup."""
    rng = params.rng()
    mean = rng.choice([-1.0, 1.0], size=COORDS) * 10.0 ** rng.uniform(-3, 1, size=COORDS)
    gradients = mean + np.abs(mean) / params.snr * rng.standard_normal((STEPS, COORDS))
    plain, _ = adam_moves(gradients, warmup=False)
    warmed, lrs = adam_moves(gradients, warmup=True)
    first = gradients[0]
    late = float(np.mean(plain[STEPS - 20 :]))
    first_mean = float(np.mean(plain[0]))
    k = np.arange(STEPS)
    factors = START + (1 - START) * np.minimum(k, WARMUP) / WARMUP
    checks = [
        Check.at_most(
            "at step 1 every coordinate moves by γ·|g|/(|g| + ε), whatever |g| "
            "(gradients from 1e-3 to 10; relative error)",
            relative_error(plain[0], LR * np.abs(first) / (np.abs(first) + EPS)),
            1e-10,
        ),
        Check.at_least(
            "the first step is the largest: mean |Δθ| at step 1 over the mean of the last 20",
            first_mean / late,
            2.5,
        ),
        Check.at_most(
            "LinearLR(start_factor, total_iters) sets lr = base·(s + (1 − s)·min(k, T)/T) "
            "(relative error)",
            relative_error(np.array(lrs), LR * factors),
            1e-12,
        ),
        Check.at_most(
            "with warmup the first step shrinks by the start factor (relative error)",
            relative_error(warmed[0], START * plain[0]),
            1e-10,
        ),
    ]
    x: list[float | int] = list(range(1, STEPS + 1))
    charts = [
        Chart(
            "Mean |Δθ| per coordinate, in units of the base lr γ",
            "step",
            "mean |Δθ| / γ",
            [
                Series("Adam, constant lr", x, [float(np.mean(m)) / LR for m in plain]),
                Series(
                    f"Adam, LinearLR warmup over {WARMUP} steps",
                    x,
                    [float(np.mean(m)) / LR for m in warmed],
                ),
            ],
            y_from_zero=True,
        )
    ]
    steps = [
        Step("|E g| per coordinate (first 6)", np.abs(mean[:6])),
        Step(
            "|Δθ₁| / γ (first 6)",
            plain[0, :6] / LR,
            r"|\Delta\theta_1| = \gamma|g_1|/(|g_1|+\epsilon)",
        ),
        Step("mean |Δθ| / γ: step 1, last 20 steps", np.array([first_mean, late]) / LR),
        Step("lr of the first 5 warmup steps", np.array(lrs[:5])),
    ]
    return Demo(
        name="adam_warmup",
        title="Adam's first steps, with and without warmup",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With a signal-to-noise ratio of {params.snr:g}, Adam's first step moved every "
            f"coordinate by about γ; the last 20 steps averaged {late / LR:.2f}γ. A linear "
            f"warmup from {START:g}·γ makes the first, least-informed steps the smallest."
        ),
    )
