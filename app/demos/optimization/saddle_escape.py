"""Card 13: saddle points and momentum. f(x, y) = ½x² − ½cy² + ¼y⁴ has a saddle at 0 and minima
at y = ±√c. Near the saddle GD multiplies the escaping coordinate by 1 + ηc per step; heavy
ball by the larger root of z² − (1 + μ + ηc)z + μ, a bigger factor, so it leaves sooner. Started
exactly on the saddle's stable axis (y = 0), neither moves off it: the gradient there has no y
component, which is why noise matters."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import heavy_ball, quiet, relative_error, run
from app.demos.registry import register
from app.engine import SGD

LR = 0.05
STEPS = 800


class SaddleParams(DemoParams):
    log10_offset: float = Field(
        default=-8.0, ge=-10.0, le=-4.0, description="log10 of the starting offset y₀."
    )
    momentum: float = Field(default=0.9, ge=0.5, le=0.95, description="μ.")


def escape_step(path: np.ndarray, level: float) -> int:
    """First step at which |y| reaches `level` (len(path) if never)."""
    hits = np.nonzero(np.abs(path[:, 1]) >= level)[0]
    return int(hits[0]) if hits.size else len(path)


@register(
    "saddle_escape",
    "Escaping a saddle point, with and without momentum",
    SaddleParams,
    rules=("optim.sgd_step", "optim.sgd_momentum"),
)
@quiet
def saddle_escape(params: SaddleParams) -> Demo:
    """Run the demo: GD and heavy ball from just off a saddle's stable axis."""
    rng = params.rng()
    c = float(rng.uniform(1.0, 2.0))
    mu = params.momentum
    offset = 10.0**params.log10_offset * rng.choice([-1.0, 1.0])
    start = np.array([float(rng.uniform(0.5, 2.0)), offset])

    def gradient(theta: np.ndarray, t: int) -> np.ndarray:
        x, y = theta
        return np.array([x, -c * y + y**3])

    gd = run(lambda p: SGD(p, lr=LR), start, gradient, STEPS)
    hb = run(lambda p: SGD(p, lr=LR, momentum=mu), start, gradient, STEPS)
    on_axis = run(
        lambda p: SGD(p, lr=LR, momentum=mu), np.array([start[0], 0.0]), gradient, STEPS // 4
    )
    gd_rate = 1 + LR * c
    hb_rate = float(np.max(np.abs(np.roots([1, -(1 + mu + LR * c), mu]))))
    level = 0.5 * math.sqrt(c)
    n_gd, n_hb = escape_step(gd, level), escape_step(hb, level)
    # While |y| ≪ √c the y³ term is negligible and y follows y_{t+1} = c₁y_t + c₀y_{t−1}:
    # fit that recursion to the first steps and take its larger root.
    y = hb[:14, 1]
    rows = np.column_stack([y[1:-1], y[:-2]])
    (c1, c0), *_ = np.linalg.lstsq(rows, y[2:], rcond=None)
    measured_hb = float(np.max(np.abs(np.roots([1.0, -c1, -c0]))))
    measured_gd = float(abs(gd[11, 1] / gd[10, 1]))
    checks = [
        Check.at_most(
            "the engine's SGD follows θ ← θ − ηg (relative difference of the paths)",
            relative_error(gd, heavy_ball(start, gradient, STEPS, LR, 0.0)),
            1e-12,
        ),
        Check.at_most(
            "the engine's SGD(momentum) follows b ← μb + g, θ ← θ − ηb (relative difference)",
            relative_error(hb, heavy_ball(start, gradient, STEPS, LR, mu)),
            1e-12,
        ),
        Check.at_most(
            "near the saddle GD multiplies y by 1 + ηc per step (relative error)",
            abs(measured_gd / gd_rate - 1),
            1e-6,
        ),
        Check.at_most(
            "heavy ball multiplies y by the root of z² − (1 + μ + ηc)z + μ (relative error)",
            abs(measured_hb / hb_rate - 1),
            2e-6,
        ),
        Check.at_least(
            "steps to reach |y| = ½√c: GD's over heavy ball's",
            n_gd / max(n_hb, 1),
            1.4,
        ),
        Check.equal(
            f"started on the stable axis (y = 0), y stays 0 for {STEPS // 4} steps (largest |y|)",
            float(np.max(np.abs(on_axis[:, 1]))),
            0.0,
        ),
    ]
    ticks = range(0, STEPS + 1, 2)
    x: list[float | int] = list(ticks)
    charts = [
        Chart(
            "Escaping coordinate |y|",
            "step",
            "|y|",
            [
                Series("GD", x, [float(abs(gd[i, 1])) for i in ticks]),
                Series(f"heavy ball μ = {mu:g}", x, [float(abs(hb[i, 1])) for i in ticks]),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step(
            "c (negative curvature), y₀",
            np.array([c, offset]),
            r"f = \tfrac12 x^2 - \tfrac c2 y^2 + \tfrac14 y^4",
        ),
        Step("growth per step: GD, heavy ball (predicted)", np.array([gd_rate, hb_rate])),
        Step("growth per step: GD, heavy ball (measured)", np.array([measured_gd, measured_hb])),
        Step("steps to |y| = ½√c: GD, heavy ball", np.array([n_gd, n_hb], dtype=np.float64)),
    ]
    return Demo(
        name="saddle_escape",
        title="Escaping a saddle point, with and without momentum",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"From y₀ = {offset:.1e}, GD grew y by {gd_rate:.4f} per step and needed {n_gd} "
            f"steps to leave the saddle; heavy ball grew it by {hb_rate:.4f} and needed {n_hb}."
        ),
    )
