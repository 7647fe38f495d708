"""Card 5: orthogonal init and the singular values of a deep linear net's Jacobian.

The Jacobian of x ↦ W_L ⋯ W_1 x is the product of the weights. With orthogonal W_ℓ every
singular value of the product is exactly 1 at any depth (dynamical isometry); Gaussian weights
with Var 1/n preserve the mean squared singular value but spread the spectrum with depth:
σ_max/σ_min grows exponentially, at least 10^(0.4·L) over L layers (at 16 layers of width 16
it is above 10^10 in every one of 2000 draws, median about 10^15, where σ_min sits at float64's
rounding level).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.init_norm.common import EXACT, relative_error
from app.demos.registry import register
from app.engine import Tensor, init, jacobian, matmul

SPREAD_DECADES_PER_LAYER = 0.4  # Gaussian product: σ_max / σ_min ≥ 10^(0.4·depth)


class OrthogonalJacobianParams(DemoParams):
    depth: int = Field(default=16, ge=4, le=32, description="Linear layers.")
    width: int = Field(default=16, ge=8, le=32, description="Units per layer.")


def deep_linear(weights: list[np.ndarray]) -> Callable[[Tensor], Tensor]:
    """x ↦ W_L ⋯ W_1 x, built from the engine's matmul (x a vector)."""

    def f(x: Tensor) -> Tensor:
        for w in weights:
            x = matmul(Tensor(w), x)
        return x

    return f


def product(weights: list[np.ndarray]) -> np.ndarray:
    """W_L ⋯ W_1 in NumPy."""
    out = np.eye(weights[0].shape[1])
    for w in weights:
        out = w @ out
    return out


@register(
    "orthogonal_jacobian",
    "Orthogonal init: a Jacobian with every singular value 1",
    OrthogonalJacobianParams,
    rules=("init.orthogonal", "matmul.vjp"),
)
def orthogonal_jacobian(params: OrthogonalJacobianParams) -> Demo:
    """Run the demo: singular values of a deep linear net's Jacobian, orthogonal vs Gaussian."""
    rng = params.rng()
    n, depth = params.width, params.depth
    ortho = [init.orthogonal_(np.empty((n, n)), generator=rng) for _ in range(depth)]
    gauss = [rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(depth)]
    x = rng.standard_normal(n)
    jac_o = jacobian(deep_linear(ortho), x).matrix
    jac_g = jacobian(deep_linear(gauss), x).matrix
    sv_o = np.linalg.svd(jac_o, compute_uv=False)
    sv_g = np.linalg.svd(jac_g, compute_uv=False)
    orthonormal = max(float(np.max(np.abs(w.T @ w - np.eye(n)))) for w in ortho)
    checks = [
        Check.at_most(
            "orthogonal_ gives WᵀW = I (largest entry of |WᵀW − I| over the layers)",
            orthonormal,
            1e-12,
        ),
        Check.at_most(
            "the engine's reverse-mode Jacobian of x ↦ W_L⋯W_1 x equals the product of the "
            "weights (relative error, both nets)",
            max(relative_error(jac_o, product(ortho)), relative_error(jac_g, product(gauss))),
            EXACT,
        ),
        Check.at_most(
            f"orthogonal: every singular value of the {depth}-layer Jacobian is 1 "
            "(largest |σ − 1|)",
            float(np.max(np.abs(sv_o - 1))),
            1e-9,
        ),
        Check.at_least(
            "Gaussian Var(w) = 1/n: the singular values spread exponentially with depth "
            f"(σ_max / σ_min, at least 10^({SPREAD_DECADES_PER_LAYER}·{depth}))",
            float(sv_g[0] / sv_g[-1]),
            10.0 ** (SPREAD_DECADES_PER_LAYER * depth),
        ),
    ]
    index: list[float | int] = list(range(1, n + 1))
    charts = [
        Chart(
            f"Singular values of the Jacobian of {depth} linear layers",
            "index (largest first)",
            "σ_i",
            [
                Series("orthogonal", index, sv_o.tolist()),
                Series("Gaussian, Var 1/n", index, sv_g.tolist()),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step("orthogonal: singular values", sv_o, r"J = W_L \cdots W_1,\; \sigma_i(J) = 1"),
        Step(
            "Gaussian: singular values",
            sv_g,
            note="mean σ² is 1 in expectation, one draw fluctuates; the spread grows with depth",
        ),
        Step("Gaussian: mean σ²", float(np.mean(sv_g**2)), r"\tfrac1n \operatorname{tr}(J^\top J)"),
        Step(
            "Gaussian: σ_max / σ_min",
            float(sv_g[0] / sv_g[-1]),
            note="above about 10^13 σ_min is at float64's rounding level",
        ),
    ]
    return Demo(
        name="orthogonal_jacobian",
        title="Orthogonal init: a Jacobian with every singular value 1",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Through {depth} layers of width {n}, the orthogonal net's Jacobian has every "
            f"singular value 1 (off by at most {float(np.max(np.abs(sv_o - 1))):.1e}); the "
            f"Gaussian net's range from {sv_g[-1]:.2g} to {sv_g[0]:.2g}."
        ),
    )
