"""Card 2: at large |z| sigmoid and tanh saturate; σ′(z) ≈ e^(−|z|) and tanh′(z) ≈ 4e^(−2|z|)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, pointwise_relative
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import sigmoid, tanh


class SaturationParams(DemoParams):
    z_max: float = Field(default=8.0, ge=3.0, le=10.0, description="Largest |z| tried.")
    points: int = Field(default=6, ge=2, le=16, description="Saturated points drawn.")


def exact_sigmoid_slope(z: np.ndarray) -> np.ndarray:
    """σ′(z) = e^(−|z|) / (1 + e^(−|z|))², exact and without cancellation at any |z|."""
    e = np.exp(-np.abs(z))
    return np.asarray(e / (1 + e) ** 2)


def exact_tanh_slope(z: np.ndarray) -> np.ndarray:
    """tanh′(z) = 4 e^(−2|z|) / (1 + e^(−2|z|))², the same without 1 − tanh² cancelling."""
    e = np.exp(-2 * np.abs(z))
    return np.asarray(4 * e / (1 + e) ** 2)


@register(
    "saturation",
    "Saturation: the gradient at large |z|",
    SaturationParams,
    rules=("sigmoid.vjp", "tanh.vjp"),
)
def saturation(params: SaturationParams) -> Demo:
    """Run the demo: saturation: the gradient at large |z|."""
    rng = params.rng()
    low = params.z_max / 2
    magnitude = rng.uniform(low, params.z_max, params.points)
    z = np.round(magnitude * rng.choice([-1.0, 1.0], params.points), 3)
    z = np.concatenate([[0.5, -1.0], z])  # two unsaturated points for contrast
    d_sig, d_tanh = engine_grad(sigmoid, z), engine_grad(tanh, z)
    sat = np.abs(z) >= low
    ratio_sig = d_sig[sat] / 0.25  # the share of the best-case slope that survives
    ratio_tanh = d_tanh[sat] / 1.0

    checks = [
        # 1e-6: σ(1 − σ) read from the output loses digits where σ ≈ 1 (about 1e-12 at |z| = 10),
        # and 1 − tanh² loses more (about 3e-8 at |z| = 10); a 1e-4 slip is far above either.
        Check.at_most(
            "engine's σ′(z) equals e^(−|z|)/(1 + e^(−|z|))² at every point "
            "(largest pointwise relative error)",
            pointwise_relative(d_sig, exact_sigmoid_slope(z)),
            1e-6,
        ),
        Check.at_most(
            "engine's tanh′(z) equals 4e^(−2|z|)/(1 + e^(−2|z|))² at every point "
            "(largest pointwise relative error)",
            pointwise_relative(d_tanh, exact_tanh_slope(z)),
            1e-6,
        ),
        Check.at_most(
            f"saturated sigmoid (|z| ≥ {low:g}): σ′(z) ≤ e^(−|z|) (largest σ′(z) e^|z|)",
            float(np.max(d_sig[sat] * np.exp(np.abs(z[sat])))),
            1.0 + 1e-9,
        ),
        Check.at_most(
            f"saturated tanh (|z| ≥ {low:g}): tanh′(z) ≤ 4e^(−2|z|) (largest tanh′ e^(2|z|) / 4)",
            float(np.max(d_tanh[sat] * np.exp(2 * np.abs(z[sat])) / 4)),
            1.0 + 1e-6,  # 1 − tanh² read from the output rounds by ~3e-8 at |z| = 10
        ),
        Check.at_most(
            "a saturated unit keeps a tiny share of its best slope (largest σ′(z)/σ′(0))",
            float(ratio_sig.max()),
            4 * float(np.exp(-low)),
        ),
    ]
    order = np.argsort(np.abs(z))
    steps = [
        Step("z", z, r"z", "two moderate points, then saturated ones"),
        Step("σ′(z) by the engine", d_sig, r"\sigma'(z) \approx e^{-|z|}"),
        Step("tanh′(z) by the engine", d_tanh, r"\tanh'(z) \approx 4e^{-2|z|}"),
        Step("σ′(z)/σ′(0) at the saturated points", ratio_sig),
        Step("tanh′(z)/tanh′(0) at the saturated points", ratio_tanh),
    ]
    charts = [
        Chart(
            "Slope against |z|",
            "|z|",
            "slope",
            [
                Series("σ′", np.abs(z)[order].tolist(), d_sig[order].tolist()),
                Series("tanh′", np.abs(z)[order].tolist(), d_tanh[order].tolist()),
            ],
            kind="scatter",
            log_y=True,
        )
    ]
    worst = float(np.abs(z).max())
    return Demo(
        name="saturation",
        title="Saturation: the gradient at large |z|",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"At |z| = {worst:.3g} the sigmoid passes back "
            f"{float(exact_sigmoid_slope(np.array(worst))):.2e}"
            f" of the upstream gradient and tanh {float(exact_tanh_slope(np.array(worst))):.2e}: "
            "a saturated unit barely learns."
        ),
    )
