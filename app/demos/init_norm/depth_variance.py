"""Card 4: activations and gradients through 50 ReLU layers under three inits.

Each layer multiplies the second moment of the activations by fan_in·Var(w)/2 on the way
forward and that of the gradients by fan_out·Var(w)/2 on the way back. Below He's 2/fan the
signal vanishes geometrically, above it explodes: only the critical value keeps both flat.
He keeps the *expected* second moment flat: each layer's ratio E[h_ℓ²]/E[h_{ℓ−1}²] has mean 1,
so the demo checks the mean of those ratios over enough He nets for ±30% mis-scaling to show.
One net's log-variance still drifts down and spreads at finite width (Hanin & Rolnick, 2018),
which the geometric per-layer factor of the plotted net shows.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.init_norm.common import EXACT, draw_ratio_error, gradcheck_all
from app.demos.registry import register
from app.engine import Tensor, init, linear

HE_BAND = (0.88, 1.13)  # He: mean per-layer ratio over the He nets; Var 1.5/n or 2.6/n fall out
HE_LAYER_RATIOS = 196  # He nets are drawn until at least this many per-layer ratios are averaged
SMALL_MAX = 0.1  # std 0.01: the factor is n·1e-4/2, far below 1
LARGE_MIN = 4.0  # std 1: the factor is n/2


class DepthVarianceParams(DemoParams):
    depth: int = Field(default=50, ge=10, le=50, description="Linear layers (ReLU between).")
    width: int = Field(default=32, ge=16, le=64, description="Units per layer.")
    batch: int = Field(default=32, ge=16, le=64, description="Examples.")


def profile(x: np.ndarray, weights: list[np.ndarray], upstream: np.ndarray) -> tuple:
    """(E[h_ℓ²] forward, E[(∂L/∂h_ℓ)²] backward) for ℓ = 0..depth−1, h_0 = x, with
    L = Σ upstream ⊙ output so the gradient arriving at the top has unit variance."""
    h0 = Tensor(x, requires_grad=True)
    hs, h = [h0], h0
    for i, w in enumerate(weights):
        z = linear(h, Tensor(w))
        h = z if i == len(weights) - 1 else z.relu()
        if i < len(weights) - 1:
            h.retain_grad()
            hs.append(h)
    (h * Tensor(upstream)).sum().backward()
    forward = [float(np.mean(t.data**2)) for t in hs]
    backward = [float(np.mean(t.grad**2)) if t.grad is not None else 0.0 for t in hs]
    return forward, backward


def mean_ratio(values: list[float]) -> float:
    """Arithmetic mean over the layers of values[ℓ] / values[ℓ − 1] (unbiased per-layer factor)."""
    v = np.asarray(values, float)
    if np.any(v[:-1] <= 0):
        return 0.0
    return float(np.mean(v[1:] / v[:-1]))


def factor(values: list[float]) -> float:
    """Geometric-mean change per layer from the first entry to the last."""
    if values[0] <= 0 or values[-1] <= 0:
        return 0.0
    return math.exp(math.log(values[-1] / values[0]) / (len(values) - 1))


@register(
    "depth_variance",
    "Variance of activations and gradients through depth",
    DepthVarianceParams,
    rules=("init.kaiming_std", "linear.vjp", "relu.vjp"),
)
def depth_variance(params: DepthVarianceParams) -> Demo:
    """Run the demo: a deep ReLU net under std 0.01, He and std 1."""
    rng = params.rng()
    n, depth = params.width, params.depth
    seeds = [int(s) for s in rng.integers(2**31, size=depth)]
    he = [init.kaiming_normal_(np.empty((n, n)), nonlinearity="relu", generator=s) for s in seeds]
    z = [w / math.sqrt(2 / n) for w in he]  # the same standard normals, rescaled below
    inits = {"std 0.01": [0.01 * w for w in z], "He, std √(2/n)": he, "std 1": z}
    x = rng.standard_normal((params.batch, n))
    upstream = rng.standard_normal((params.batch, n))
    runs = {name: profile(x, ws, upstream) for name, ws in inits.items()}
    he_f, he_b = runs["He, std √(2/n)"]
    he_nets = [(he_f, he_b)]
    for _ in range(math.ceil(HE_LAYER_RATIOS / (depth - 1)) - 1):
        extra = [
            init.kaiming_normal_(np.empty((n, n)), nonlinearity="relu", generator=rng)
            for _ in range(depth)
        ]
        he_nets.append(
            profile(
                rng.standard_normal((params.batch, n)),
                extra,
                rng.standard_normal((params.batch, n)),
            )
        )
    he_fwd = float(np.mean([mean_ratio(f) for f, _ in he_nets]))
    he_bwd = float(np.mean([mean_ratio(list(reversed(b))) for _, b in he_nets]))
    small_f, small_b = runs["std 0.01"]
    large_f, large_b = runs["std 1"]

    small_x = rng.standard_normal((3, 4))
    small_ws = [rng.standard_normal((4, 4)) for _ in range(3)]

    def loss(x_: Tensor, *ws: Tensor) -> Tensor:
        h = x_
        for i, w in enumerate(ws):
            h = linear(h, w)
            h = h if i == len(ws) - 1 else h.relu()
        return (h * h).sum()

    checks = [
        Check.at_most(
            "kaiming_normal_(nonlinearity='relu') draws N(0, 2/fan_in) (max |W − σz| / σ)",
            max(draw_ratio_error(w, s, math.sqrt(2 / n)) for w, s in zip(he, seeds, strict=True)),
            EXACT,
        ),
        Check.between(
            "He: the activations' expected second moment stays flat (mean per-layer ratio "
            f"E[h_ℓ²]/E[h_ℓ₋₁²] over {len(he_nets)} nets, forward)",
            he_fwd,
            *HE_BAND,
        ),
        Check.between(
            "He: the gradients' expected second moment stays flat (mean per-layer ratio "
            f"over {len(he_nets)} nets, backward)",
            he_bwd,
            *HE_BAND,
        ),
        Check.at_most(
            "std 0.01: activations and gradients vanish (the larger per-layer factor)",
            max(factor(small_f), factor(list(reversed(small_b)))),
            SMALL_MAX,
        ),
        Check.at_least(
            "std 1: activations and gradients explode (the smaller per-layer factor)",
            min(factor(large_f), factor(list(reversed(large_b)))),
            LARGE_MIN,
        ),
        gradcheck_all(
            "the engine's gradients of a 3-layer ReLU net (x and every W) equal central "
            "differences",
            loss,
            [small_x, *small_ws],
            ["∂L/∂x", "∂L/∂W1", "∂L/∂W2", "∂L/∂W3"],
        ),
    ]
    layers: list[float | int] = list(range(depth))
    charts = [
        Chart(
            "Activations: E[h_ℓ²] per layer",
            "layer ℓ (0 = input)",
            "E[h_ℓ²]",
            [Series(name, layers, f) for name, (f, _) in runs.items()],
            log_y=True,
        ),
        Chart(
            "Gradients: E[(∂L/∂h_ℓ)²] per layer",
            "layer ℓ (0 = input)",
            "E[(∂L/∂h_ℓ)²]",
            [Series(name, layers, b) for name, (_, b) in runs.items()],
            log_y=True,
        ),
    ]
    steps = [
        Step(
            f"{name}: per-layer factor forward, backward",
            f"{factor(f):.3g}, {factor(list(reversed(b))):.3g}",
            r"\mathbb{E}[h_\ell^2] = \tfrac{n}{2}\operatorname{Var}(w)\,\mathbb{E}[h_{\ell-1}^2]",
            f"predicted n·Var(w)/2 = {n * var / 2:.3g}",
        )
        for (name, (f, b)), var in zip(runs.items(), (1e-4, 2 / n, 1.0), strict=True)
    ]
    steps += [
        Step(
            f"He: mean per-layer ratio over {len(he_nets)} nets, forward, backward",
            f"{he_fwd:.3g}, {he_bwd:.3g}",
            note="the expected factor, 1 for He",
        ),
        Step(
            f"He: E[h_{depth - 1}²] / E[h_0²] (one net)",
            he_f[-1] / he_f[0],
            note="one net drifts down and spreads by ∝ depth/width (Hanin & Rolnick, 2018)",
        ),
        Step(f"std 0.01: E[h_{depth - 1}²] / E[h_0²]", small_f[-1] / small_f[0]),
        Step(f"std 1: E[h_{depth - 1}²] / E[h_0²]", large_f[-1] / large_f[0]),
    ]
    return Demo(
        name="depth_variance",
        title="Variance of activations and gradients through depth",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Through {depth} ReLU layers of width {n}, He init kept the mean per-layer factor at "
            f"{he_fwd:.3g} forward and {he_bwd:.3g} backward (one net ended at "
            f"{he_f[-1] / he_f[0]:.2g}× its input's second moment); std 0.01 shrank them to "
            f"{small_f[-1] / small_f[0]:.1e} "
            f"and std 1 blew them up to {large_f[-1] / large_f[0]:.1e}."
        ),
    )
