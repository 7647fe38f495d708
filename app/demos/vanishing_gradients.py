"""Card 11: a deep sigmoid net's early gradients vanish; ReLU and residual connections keep them."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import MLP, Tensor, mse_loss

NETWORKS = {  # label -> (activation, residual)
    "sigmoid": ("sigmoid", False),
    "ReLU": ("relu", False),
    "ReLU + residual": ("relu", True),
}


class VanishingGradientsParams(DemoParams):
    depth: int = Field(default=12, ge=2, le=24, description="Linear layers N.")
    width: int = Field(default=16, ge=8, le=32, description="Units per layer.")
    batch: int = Field(default=8, ge=1, le=16, description="Examples in the batch.")


def layer_gradient_norms(
    activation: str, residual: bool, params: VanishingGradientsParams
) -> np.ndarray:
    """‖∂L/∂W_ℓ‖ (Frobenius) for ℓ = 1..N, after one backward of an MSE loss."""
    rng = params.rng()
    x = rng.standard_normal((params.batch, params.width))
    y = rng.standard_normal((params.batch, params.width))
    # Xavier init for sigmoid, He for ReLU: each activation gets its best-case initialisation.
    model = MLP(
        [params.width] * (params.depth + 1), activation, seed=params.seed, residual=residual
    )
    mse_loss(model(Tensor(x)), y).backward()
    grads = [layer.weight.grad for layer in model.layers]
    # A layer that got no gradient at all (.grad None) has a gradient norm of 0.
    return np.array([0.0 if g is None else float(np.linalg.norm(g)) for g in grads])


def first_over_last(norms: np.ndarray) -> float:
    """‖∂L/∂W_1‖ / ‖∂L/∂W_N‖; inf when the last layer got no gradient (every unit dead)."""
    return float(norms[0] / norms[-1]) if norms[-1] > 0 else float("inf")


@register(
    "vanishing_gradients",
    "Vanishing gradients",
    VanishingGradientsParams,
    rules=("sigmoid.vjp", "linear.vjp"),
)
def vanishing_gradients(params: VanishingGradientsParams) -> Demo:
    """Run the demo: vanishing gradients."""
    norms = {label: layer_gradient_norms(*net, params) for label, net in NETWORKS.items()}
    ratio = {label: first_over_last(n) for label, n in norms.items()}
    layers = list(range(1, params.depth + 1))
    N = params.depth

    steps = [
        Step(
            f"‖∂L/∂W_ℓ‖, {label}",
            n[:8] if N > 8 else n,
            r"\Big\lVert \frac{\partial L}{\partial W_\ell} \Big\rVert_F",
            f"layers 1..{min(N, 8)} of {N}" + (" (the chart shows all)" if N > 8 else ""),
        )
        for label, n in norms.items()
    ]
    steps += [
        Step(
            f"first / last layer, {label}",
            r,
            r"\lVert \partial L/\partial W_1\rVert / \lVert \partial L/\partial W_N\rVert",
            note + " per layer factor " + f"{r ** (1 / (N - 1)):.3g}",
        )
        for (label, r), note in zip(
            ratio.items(),
            [
                "σ' ≤ 1/4 at every layer:",
                "slope 1 on active units, He init:",
                "identity path I + ∂F/∂h:",
            ],
            strict=True,
        )
    ]
    checks = [
        Check.at_most(
            "sigmoid's first-layer gradient norm is orders of magnitude smaller than its last "
            "layer's (first / last)",
            ratio["sigmoid"],
            1e-3,
        ),
        Check.between(
            "ReLU with residual connections keeps the first-to-last gradient ratio near 1",
            ratio["ReLU + residual"],
            0.1,
            10.0,
        ),
    ]
    charts = [
        Chart(
            "Gradient norm per layer",
            "layer ℓ (1 = input side)",
            "‖∂L/∂W_ℓ‖",
            [Series(label, list(layers), n.tolist()) for label, n in norms.items()],
            log_y=True,
        )
    ]
    return Demo(
        name="vanishing_gradients",
        title="Vanishing gradients",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Across {N} layers the first layer's gradient norm is {ratio['sigmoid']:.1e} of the "
            f"last layer's with sigmoid, {ratio['ReLU']:.2g} with ReLU and "
            f"{ratio['ReLU + residual']:.2g} with ReLU and residual connections."
        ),
    )
