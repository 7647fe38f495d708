"""Card 2: heavy ball against Nesterov, in PyTorch's form. SGD(nesterov=True) steps along
g + μb; that is Sutskever et al.'s look-ahead Nesterov (gradient at θ + μv) in a shifted
variable. On a quadratic, a direction of curvature λ where both oscillate shrinks per step by
√μ under heavy ball and by √(μ(1 − ηλ)) under Nesterov: the look-ahead damps the steep
directions."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import heavy_ball, quiet, relative_error, rotation, run
from app.demos.registry import register
from app.engine import SGD

STEPS = 60
LR = 1.0
CURVATURES = np.array([0.3, 0.6, 0.9])  # ηλ of each eigendirection
WINDOW = (1, 9)  # early steps: the steep Nesterov direction is 1e-5 by step 10


class NesterovParams(DemoParams):
    momentum: float = Field(default=0.9, ge=0.6, le=0.95, description="μ.")


def spectral_radius(coefficients: list[float]) -> float:
    """Largest |root| of z² + c₁z + c₀ (the per-step factor of a two-step recursion)."""
    return float(np.max(np.abs(np.roots(coefficients))))


def sutskever_nesterov(
    theta0: np.ndarray, gradient: object, steps: int, lr: float, mu: float
) -> np.ndarray:
    """v ← μv − η∇f(θ + μv), θ ← θ + v; returns the look-ahead points θ + μv."""
    theta, v = np.array(theta0, dtype=np.float64), np.zeros_like(theta0)
    points = [theta + mu * v]
    for t in range(steps):
        v = mu * v - lr * gradient(theta + mu * v, t)  # type: ignore[operator]
        theta = theta + v
        points.append(theta + mu * v)
    return np.array(points)


def envelope_rate(coords: np.ndarray) -> float:
    """The modulus of an oscillation read off the path: fit x_{t+1} = c₁x_t + c₀x_{t−1} to
    steps WINDOW (least squares) and return √|c₀|, the product of the two roots' moduli."""
    start, stop = WINDOW
    rows = np.column_stack([coords[start:stop], coords[start - 1 : stop - 1]])
    (_c1, c0), *_ = np.linalg.lstsq(rows, coords[start + 1 : stop + 1], rcond=None)
    return math.sqrt(abs(float(c0)))


@register(
    "nesterov_momentum",
    "Heavy ball against Nesterov",
    NesterovParams,
    rules=("optim.sgd_momentum", "optim.sgd_nesterov"),
)
@quiet
def nesterov_momentum(params: NesterovParams) -> Demo:
    """Run the demo: both momentum forms on a quadratic, direction by direction."""
    rng = params.rng()
    mu = params.momentum
    q = rotation(rng, 3)
    eigenvalues = CURVATURES / LR
    a = q @ np.diag(eigenvalues) @ q.T
    theta0 = rng.standard_normal(3)

    def gradient(theta: np.ndarray, t: int) -> np.ndarray:
        return np.asarray(a @ theta)

    hb = run(lambda p: SGD(p, lr=LR, momentum=mu), theta0, gradient, STEPS)
    nag = run(lambda p: SGD(p, lr=LR, momentum=mu, nesterov=True), theta0, gradient, STEPS)
    hb_hand = heavy_ball(theta0, gradient, STEPS, LR, mu)
    nag_hand = heavy_ball(theta0, gradient, STEPS, LR, mu, nesterov=True)
    lookahead = sutskever_nesterov(theta0, gradient, STEPS, LR, mu)
    hb_coords, nag_coords = hb @ q, nag @ q  # coordinates in the eigenbasis
    predicted_hb = [spectral_radius([1, -(1 + mu - h), mu]) for h in CURVATURES]
    predicted_nag = [spectral_radius([1, -(1 + mu) * (1 - h), mu * (1 - h)]) for h in CURVATURES]
    measured_hb = [envelope_rate(hb_coords[:, i]) for i in range(3)]
    measured_nag = [envelope_rate(nag_coords[:, i]) for i in range(3)]
    hb_error = max(abs(m / p - 1) for m, p in zip(measured_hb, predicted_hb, strict=True))
    nag_error = max(abs(m / p - 1) for m, p in zip(measured_nag, predicted_nag, strict=True))
    closed_form = max(
        abs(predicted_hb[i] / math.sqrt(mu) - 1)
        + abs(predicted_nag[i] / math.sqrt(mu * (1 - CURVATURES[i])) - 1)
        for i in range(3)
    )
    checks = [
        Check.at_most(
            "the engine's heavy ball follows b ← μb + g, θ ← θ − ηb (relative difference)",
            relative_error(hb, hb_hand),
            1e-12,
        ),
        Check.at_most(
            "the engine's nesterov=True follows θ ← θ − η(g + μb) (relative difference)",
            relative_error(nag, nag_hand),
            1e-12,
        ),
        Check.at_most(
            "PyTorch's Nesterov iterate is Sutskever's look-ahead point θ + μv, gradient "
            "taken there (relative difference)",
            relative_error(nag, lookahead),
            1e-10,
        ),
        Check.at_most(
            "both recursions oscillate here, so the moduli are √μ and √(μ(1 − ηλ)) "
            "(deviation of the roots from those)",
            closed_form,
            1e-6,
        ),
        Check.at_most(
            "heavy ball's measured decay per step matches √μ in every direction (relative)",
            hb_error,
            1e-6,
        ),
        Check.at_most(
            "Nesterov's measured decay per step matches √(μ(1 − ηλ)) in every direction (relative)",
            nag_error,
            1e-6,
        ),
        Check.at_least(
            "in the steepest direction heavy ball's decay factor over Nesterov's",
            measured_hb[-1] / measured_nag[-1],
            3.0,
        ),
    ]
    x: list[float | int] = list(range(STEPS + 1))
    charts = [
        Chart(
            f"Steepest direction (ηλ = {CURVATURES[-1]:g}), coordinate in the eigenbasis",
            "step",
            "|coordinate|",
            [
                Series("heavy ball", x, [float(abs(c)) + 1e-300 for c in hb_coords[:, -1]]),
                Series("Nesterov", x, [float(abs(c)) + 1e-300 for c in nag_coords[:, -1]]),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step("ηλ per eigendirection", CURVATURES, r"A = Q\,\mathrm{diag}(\lambda)\,Q^\top"),
        Step("θ₀", theta0),
        Step("heavy ball: predicted and measured decay", np.array([predicted_hb, measured_hb])),
        Step("Nesterov: predicted and measured decay", np.array([predicted_nag, measured_nag])),
        Step("θ after 20 steps (heavy ball, Nesterov)", np.array([hb[20], nag[20]])),
    ]
    return Demo(
        name="nesterov_momentum",
        title="Heavy ball against Nesterov",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With μ = {mu:g} and ηλ = {CURVATURES[-1]:g}, heavy ball shrinks the steep "
            f"direction by {measured_hb[-1]:.3f} per step and Nesterov by {measured_nag[-1]:.3f}; "
            "PyTorch's nesterov=True is the look-ahead method in a shifted variable."
        ),
    )
