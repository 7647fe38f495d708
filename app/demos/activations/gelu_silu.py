"""Card 5: GELU = xΦ(x) and SiLU = xσ(x) are smooth, with a small negative dip where their
derivative crosses zero; the tanh form of GELU is within 5e-4 of the exact one."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, relative_difference, stable_sigmoid
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import finite_difference_checks
from app.demos.registry import register
from app.engine import Tensor, gelu, silu


class GeluSiluParams(DemoParams):
    points: int = Field(default=8, ge=3, le=32, description="Random points x in [−4, 4].")


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) by math.erf, independently of the engine's erf."""
    return np.asarray([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in np.ravel(x)]).reshape(
        np.shape(x)
    )


def normal_pdf(x: np.ndarray) -> np.ndarray:
    """φ(x), the standard normal density."""
    return np.asarray(np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))


def root(slope: Callable[[float], float], low: float, high: float) -> float:
    """Bisection for slope(x) = 0 on [low, high], slope(low) < 0 < slope(high)."""
    for _ in range(60):
        mid = 0.5 * (low + high)
        if slope(mid) < 0:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


@register(
    "gelu_silu",
    "GELU and SiLU: smooth, with a dip below zero",
    GeluSiluParams,
    rules=("gelu.vjp", "silu.vjp"),
)
def gelu_silu(params: GeluSiluParams) -> Demo:
    """Run the demo: GELU and SiLU: smooth, with a dip below zero."""
    rng = params.rng()
    x = np.round(rng.uniform(-4.0, 4.0, params.points), 3)
    d_gelu, d_silu = engine_grad(gelu, x), engine_grad(silu, x)
    s = stable_sigmoid(x)
    hand_gelu = normal_cdf(x) + x * normal_pdf(x)
    hand_silu = s * (1 + x * (1 - s))

    def engine_slope(fn: Callable[[Tensor], Tensor]) -> Callable[[float], float]:
        return lambda v: float(engine_grad(fn, np.array([v]))[0])

    # Where each dips lowest: the engine's derivative is 0 there; NumPy's formula agrees.
    gelu_min = root(engine_slope(gelu), -2.0, -0.2)
    silu_min = root(engine_slope(silu), -3.0, -0.2)
    gelu_ref = root(
        lambda v: float(normal_cdf(np.array(v)) + v * normal_pdf(np.array(v))), -2, -0.2
    )
    silu_ref = root(
        lambda v: float(stable_sigmoid(np.array(v)) * (1 + v * (1 - stable_sigmoid(np.array(v))))),
        -3.0,
        -0.2,
    )
    grid = np.linspace(-6.0, 6.0, 2401)
    tanh_gap = float(
        np.max(np.abs(gelu(Tensor(grid)).data - gelu(Tensor(grid), approximate="tanh").data))
    )
    zero = np.zeros(1)
    at_zero = (float(engine_grad(gelu, zero)[0]), float(engine_grad(silu, zero)[0]))
    left = (
        float(engine_grad(gelu, np.array([-1.5]))[0]),
        float(engine_grad(silu, np.array([-2.0]))[0]),
    )

    checks = [
        Check.at_most(
            "engine's gelu′(x) equals Φ(x) + x φ(x) (relative)",
            relative_difference(d_gelu, hand_gelu),
            1e-12,
        ),
        Check.at_most(
            "engine's silu′(x) equals σ(x)(1 + x(1 − σ(x))) (relative)",
            relative_difference(d_silu, hand_silu),
            1e-12,
        ),
        Check.at_most(
            "at x = 0 both slopes are exactly 1/2 (largest |slope − 0.5|)",
            max(abs(at_zero[0] - 0.5), abs(at_zero[1] - 0.5)),
            1e-15,
        ),
        Check.at_most(
            "non-monotone: left of the dip the slope is negative "
            "(largest of gelu′(−1.5), silu′(−2))",
            max(left),
            0.0,
        ),
        Check.at_most(
            "the engine's slope vanishes where the formula's does (|x*_engine − x*_formula|, both)",
            max(abs(gelu_min - gelu_ref), abs(silu_min - silu_ref)),
            1e-9,
        ),
        Check.between("GELU's dip is at x ≈ −0.752", gelu_min, -0.7525, -0.7510),
        Check.between("SiLU's dip is at x ≈ −1.278", silu_min, -1.2790, -1.2780),
        Check.at_most(
            "the tanh form of GELU stays within 5e-4 of the exact one on [−6, 6]", tanh_gap, 5e-4
        ),
    ]
    checks += finite_difference_checks(
        lambda v: (gelu(v) + gelu(v, approximate="tanh") + silu(v)).sum(),
        [x],
        ["∂(Σ gelu + Σ gelu_tanh + Σ silu)/∂x"],
    )
    g_min = float(gelu(Tensor(np.array([gelu_min]))).data[0])
    s_min = float(silu(Tensor(np.array([silu_min]))).data[0])
    curve = np.linspace(-4, 4, 33)
    steps = [
        Step("x", x),
        Step("gelu′(x) by the engine", d_gelu, r"\mathrm{GELU}'(x) = \Phi(x) + x\,\varphi(x)"),
        Step(
            "silu′(x) by the engine", d_silu, r"\mathrm{SiLU}'(x) = \sigma(x)(1 + x(1-\sigma(x)))"
        ),
        Step("GELU's minimum (x*, value)", f"{gelu_min:.4f}, {g_min:.4f}"),
        Step("SiLU's minimum (x*, value)", f"{silu_min:.4f}, {s_min:.4f}"),
        Step("max |GELU_tanh − GELU| on [−6, 6]", tanh_gap),
    ]
    charts = [
        Chart(
            "Slopes: ReLU's step against smooth ones",
            "x",
            "slope",
            [
                Series("ReLU′", curve.tolist(), (curve > 0).astype(float).tolist()),
                Series("GELU′", curve.tolist(), engine_grad(gelu, curve).tolist()),
                Series("SiLU′", curve.tolist(), engine_grad(silu, curve).tolist()),
            ],
        )
    ]
    return Demo(
        name="gelu_silu",
        title="GELU and SiLU: smooth, with a dip below zero",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"GELU bottoms out at {g_min:.4f} (x = {gelu_min:.4f}) and SiLU at {s_min:.4f} "
            f"(x = {silu_min:.4f}); both have slope 1/2 at 0, where ReLU's slope jumps from 0 to 1."
        ),
    )
