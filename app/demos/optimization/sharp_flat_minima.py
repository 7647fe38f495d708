"""Card 9: SGD noise, step size and sharp against flat minima (a 1-D toy). f has a sharp,
narrow pit (curvature λ_s ≈ 100, radius 0.2) and a wide, flat well (λ_f ≈ 1). Near a
minimum, SGD is stable only if η < 2/λ, and its noise spreads the iterate over a variance
ησ²/(λ(2 − ηλ)). With η = 0.05 the sharp pit is unstable (2/λ_s = 0.02) and the iterates
leave it; with η = 0.01 the same noisy start stays in it. Many chains are run at once, one per
coordinate of a vector parameter."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import heavy_ball, quiet, relative_error, run
from app.demos.registry import register
from app.engine import SGD

CHAINS = 256
STEPS = 400
SHARP_CENTRE, SHARP_CURVATURE, PIT_RADIUS = 0.0, 100.0, 0.2
FLAT_CENTRE = 1.5
LR_SMALL, LR_LARGE = 0.01, 0.05
BOUNDARY = PIT_RADIUS  # |θ| beyond it: outside the sharp well


class SharpFlatParams(DemoParams):
    noise: float = Field(default=0.5, ge=0.1, le=1.0, description="σ of the gradient noise.")


def gradient_of_f(theta: np.ndarray) -> np.ndarray:
    """f′ for f(θ) = ½λ_s·min(θ², r²) (a narrow quadratic pit of curvature λ_s and radius r)
    − exp(−(θ − c)²/2) (a wide Gaussian well of curvature 1 at c)."""
    pit = np.where(
        np.abs(theta - SHARP_CENTRE) < PIT_RADIUS, SHARP_CURVATURE * (theta - SHARP_CENTRE), 0.0
    )
    d = theta - FLAT_CENTRE
    return np.asarray(pit + d * np.exp(-(d**2) / 2))


@register(
    "sharp_flat_minima",
    "SGD noise and step size: sharp against flat minima",
    SharpFlatParams,
    rules=("optim.sgd_step",),
)
@quiet
def sharp_flat_minima(params: SharpFlatParams) -> Demo:
    """Run the demo: noisy SGD chains started in the sharp well, at two step sizes."""
    rng = params.rng()
    sigma = params.noise
    noise = sigma * rng.standard_normal((STEPS, CHAINS))
    start = SHARP_CENTRE + 0.01 * rng.standard_normal(CHAINS)

    def noisy(theta: np.ndarray, t: int) -> np.ndarray:
        return gradient_of_f(theta) + noise[t]

    small = run(lambda p: SGD(p, lr=LR_SMALL), start, noisy, STEPS)
    large = run(lambda p: SGD(p, lr=LR_LARGE), start, noisy, STEPS)
    stayed = float(np.mean(np.abs(small[-1] - SHARP_CENTRE) < BOUNDARY))
    moved = float(np.mean(np.abs(large[-1] - SHARP_CENTRE) >= BOUNDARY))
    # Curvatures by central differences of f′ at each minimum.
    h = 1e-5
    curv_sharp = float((gradient_of_f(np.array([h])) - gradient_of_f(np.array([-h])))[0] / (2 * h))
    centre = FLAT_CENTRE
    curv_flat = float(
        (gradient_of_f(np.array([centre + h])) - gradient_of_f(np.array([centre - h])))[0] / (2 * h)
    )
    spread = float(np.std(small[-100:]))
    predicted = np.sqrt(LR_SMALL * sigma**2 / (curv_sharp * (2 - LR_SMALL * curv_sharp)))
    checks = [
        Check.at_most(
            "the engine's SGD follows θ ← θ − η(f′(θ) + noise) (relative difference, η = 0.05)",
            relative_error(large, heavy_ball(start, noisy, STEPS, LR_LARGE, 0.0)),
            1e-12,
        ),
        Check.at_most(
            "the engine's SGD follows θ ← θ − η(f′(θ) + noise) (relative difference, η = 0.01)",
            relative_error(small, heavy_ball(start, noisy, STEPS, LR_SMALL, 0.0)),
            1e-12,
        ),
        Check.at_least(
            f"η = {LR_LARGE:g} > 2/λ_s: share of chains that left the sharp well",
            moved,
            0.9,
        ),
        Check.at_least(
            f"η = {LR_SMALL:g} < 2/λ_s: share of chains still in the sharp well",
            stayed,
            0.9,
        ),
        Check.between(
            "in the sharp well, the spread of the η = 0.01 chains over √(ησ²/(λ(2 − ηλ)))",
            spread / predicted,
            0.8,
            1.25,
        ),
    ]
    ticks = range(0, STEPS + 1, 4)
    x: list[float | int] = list(ticks)
    charts = [
        Chart(
            "Share of chains outside the sharp well (|θ| ≥ r)",
            "step",
            "share",
            [
                Series(
                    f"η = {LR_LARGE:g}",
                    x,
                    [float(np.mean(np.abs(large[i]) >= BOUNDARY)) for i in ticks],
                ),
                Series(
                    f"η = {LR_SMALL:g}",
                    x,
                    [float(np.mean(np.abs(small[i]) >= BOUNDARY)) for i in ticks],
                ),
            ],
            y_from_zero=True,
        )
    ]
    steps = [
        Step("curvature of the sharp and the flat minimum", np.array([curv_sharp, curv_flat])),
        Step(
            "stability limits 2/λ", np.array([2 / curv_sharp, 2 / curv_flat]), r"\eta < 2/\lambda"
        ),
        Step(
            "share outside the sharp well at the end: η = 0.01, η = 0.05",
            np.array([1 - stayed, moved]),
        ),
        Step(
            "spread in the sharp well at η = 0.01: measured, predicted",
            np.array([spread, predicted]),
        ),
    ]
    return Demo(
        name="sharp_flat_minima",
        title="SGD noise and step size: sharp against flat minima",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With gradient noise σ = {sigma:g}, {moved:.0%} of the chains run at η = {LR_LARGE:g} "
            f"left the sharp pit (λ ≈ {curv_sharp:.0f}, limit {2 / curv_sharp:.2g}); "
            f"at η = {LR_SMALL:g}, {stayed:.0%} stayed in it."
        ),
    )
