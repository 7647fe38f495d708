"""Card 2: why He init has a factor 2 for ReLU.

For a symmetric pre-activation z, ReLU keeps half of its second moment: E[relu(z)²] = E[z²]/2.
The next layer's pre-activation then has E[z²] = fan_in·Var(w)·E[z_prev²]/2, so Var(w) = 2/fan_in
keeps it constant through depth, and Var(w) = 1/fan_in (LeCun) halves it at every layer.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.init_norm.common import EXACT, draw_ratio_error
from app.demos.registry import register
from app.engine import Tensor, init, linear, no_grad

HE_BAND = (0.7, 1.4)  # He: per-layer factor of E[z²] (geometric mean over the layers)
LECUN_BAND = (0.35, 0.7)  # LeCun 1/fan_in: the factor is 1/2


class HeReluVarianceParams(DemoParams):
    depth: int = Field(default=10, ge=4, le=20, description="Linear layers, ReLU between them.")
    width: int = Field(default=64, ge=32, le=128, description="Units per layer.")
    batch: int = Field(default=64, ge=32, le=128, description="Examples measured.")


def second_moments(x: np.ndarray, weights: list[np.ndarray]) -> list[float]:
    """E[z_ℓ²] of every layer's pre-activation z_ℓ = relu(z_{ℓ−1}) W_ℓᵀ (z_0 = x, no ReLU)."""
    moments = []
    h = Tensor(x)
    with no_grad():
        for i, w in enumerate(weights):
            z = linear(h if i == 0 else h.relu(), Tensor(w))
            moments.append(float(np.mean(z.data**2)))
            h = z
    return moments


def per_layer(moments: list[float]) -> float:
    """The geometric mean of E[z_{ℓ+1}²]/E[z_ℓ²]."""
    return float((moments[-1] / moments[0]) ** (1 / (len(moments) - 1)))


@register(
    "he_relu_variance",
    "He init: the factor 2 that ReLU needs",
    HeReluVarianceParams,
    rules=("init.kaiming_std",),
)
def he_relu_variance(params: HeReluVarianceParams) -> Demo:
    """Run the demo: a deep ReLU net under He and LeCun init."""
    rng = params.rng()
    n, depth = params.width, params.depth
    seeds = [int(s) for s in rng.integers(2**31, size=depth)]
    he = [init.kaiming_normal_(np.empty((n, n)), nonlinearity="relu", generator=s) for s in seeds]
    lecun = [
        init.kaiming_normal_(np.empty((n, n)), nonlinearity="linear", generator=s) for s in seeds
    ]
    x = rng.standard_normal((params.batch, n))
    he_moments, lecun_moments = second_moments(x, he), second_moments(x, lecun)
    z1 = x @ he[0].T
    relu_kept = float(np.mean(np.maximum(z1, 0) ** 2) / np.mean(z1**2))
    he_factor, lecun_factor = per_layer(he_moments), per_layer(lecun_moments)
    checks = [
        Check.at_most(
            "kaiming_normal_(nonlinearity='relu') draws N(0, 2/fan_in): max |W − σz| / σ against "
            "the same generator's standard normals",
            max(
                draw_ratio_error(w, s, float(np.sqrt(2 / n)))
                for w, s in zip(he, seeds, strict=True)
            ),
            EXACT,
        ),
        Check.at_most(
            "kaiming_normal_(nonlinearity='linear') draws N(0, 1/fan_in) (gain 1)",
            max(
                draw_ratio_error(w, s, float(np.sqrt(1 / n)))
                for w, s in zip(lecun, seeds, strict=True)
            ),
            EXACT,
        ),
        Check.between(
            "ReLU keeps about half of a symmetric input's second moment: E[relu(z)²]/E[z²]",
            relu_kept,
            0.4,
            0.6,
        ),
        Check.between(
            "He (2/fan_in): E[z²] per layer stays about constant (geometric-mean factor)",
            he_factor,
            *HE_BAND,
        ),
        Check.between(
            "LeCun (1/fan_in) under ReLU: E[z²] halves at every layer (geometric-mean factor)",
            lecun_factor,
            *LECUN_BAND,
        ),
    ]
    layers: list[float | int] = list(range(1, depth + 1))
    steps = [
        Step(
            "E[relu(z)²] / E[z²] (layer 1)",
            relu_kept,
            r"\mathbb{E}[\mathrm{relu}(z)^2] = \tfrac12\,\mathbb{E}[z^2]",
        ),
        Step(
            "He: E[z_ℓ²], ℓ = 1..depth",
            np.array(he_moments),
            r"\mathbb{E}[z_\ell^2] = n\,\operatorname{Var}(w)\,\tfrac12\,\mathbb{E}[z_{\ell-1}^2]",
        ),
        Step("LeCun: E[z_ℓ²], ℓ = 1..depth", np.array(lecun_moments)),
        Step(
            "per-layer factor, He and LeCun",
            f"{he_factor:.3f}, {lecun_factor:.3f}",
            note="predicted 1 and 1/2",
        ),
    ]
    charts = [
        Chart(
            "Second moment of the pre-activations through depth",
            "layer ℓ",
            "E[z_ℓ²]",
            [
                Series("He, Var(w) = 2/fan_in", layers, he_moments),
                Series("LeCun, Var(w) = 1/fan_in", layers, lecun_moments),
            ],
            log_y=True,
        )
    ]
    return Demo(
        name="he_relu_variance",
        title="He init: the factor 2 that ReLU needs",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"ReLU kept {relu_kept:.2f} of the second moment. Over {depth} layers He init moved "
            f"E[z²] by a factor {he_factor:.2f} per layer and LeCun init by {lecun_factor:.2f}: "
            f"after {depth} layers LeCun's signal is {lecun_moments[-1] / lecun_moments[0]:.1e} "
            "of where it started."
        ),
    )
