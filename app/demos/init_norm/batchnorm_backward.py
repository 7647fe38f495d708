"""Card 6: backward through batch norm, and why its gradient couples the examples.

Over the m examples of one feature, x̂ = (x − μ)/σ and y = γx̂ + β. Every x moved μ and σ, so
dx has two terms beyond γ·g/σ: one subtracts the batch mean of ĝ = γg, one removes ĝ's part
along x̂. They make dx sum to zero and stay orthogonal to x̂, and they carry one example's
upstream gradient into every other example of the batch.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.init_norm.common import EXACT, grad_of, gradcheck_all, relative_error
from app.demos.registry import register
from app.engine import BatchNorm1d, Tensor

EPS = 0.0  # exact identities; PyTorch's default ε = 1e-5 bends them by about ε/σ²


class BatchnormBackwardParams(DemoParams):
    batch: int = Field(default=6, ge=3, le=16, description="Examples m in the batch.")
    features: int = Field(default=3, ge=1, le=6, description="Features (one statistic each).")


def textbook_dx(x: np.ndarray, g: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """dx = γ/σ · (g − mean(g) − x̂ · mean(g·x̂)), per feature over the batch (NumPy)."""
    mu = x.mean(axis=0)
    sigma = np.sqrt(x.var(axis=0) + EPS)
    xhat = (x - mu) / sigma
    return gamma / sigma * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))


def bn_forward_backward(
    x_data: np.ndarray, gamma: np.ndarray, beta: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y, dx, dγ, dβ) from the engine's BatchNorm1d in training mode."""
    layer = BatchNorm1d(x_data.shape[1], eps=EPS)
    assert layer.weight is not None and layer.bias is not None
    layer.weight.data[...] = gamma
    layer.bias.data[...] = beta
    x = Tensor(x_data, requires_grad=True)
    y = layer(x)
    y.backward(gradient=g)
    return y.data, grad_of(x), grad_of(layer.weight), grad_of(layer.bias)


@register(
    "batchnorm_backward",
    "Batch norm backward: the mean terms and the coupled batch",
    BatchnormBackwardParams,
    rules=("batch_norm.vjp",),
)
def batchnorm_backward(params: BatchnormBackwardParams) -> Demo:
    """Run the demo: batch norm's gradients against the formula, and one example's reach."""
    rng = params.rng()
    m, c = params.batch, params.features
    x_data = rng.normal(2.0, 1.5, (m, c))
    gamma = rng.uniform(0.5, 2.0, c)
    beta = rng.normal(0.0, 1.0, c)
    g = rng.standard_normal((m, c))
    y, dx, dgamma, dbeta = bn_forward_backward(x_data, gamma, beta, g)
    sigma = np.sqrt(x_data.var(axis=0) + EPS)
    xhat = (x_data - x_data.mean(axis=0)) / sigma
    naive = gamma / sigma * g  # the "just a scaling" answer: no mean terms

    # One example's loss: upstream gradient only in row 0.
    only_first = np.zeros_like(g)
    only_first[0] = g[0]
    _, dx_one, _, _ = bn_forward_backward(x_data, gamma, beta, only_first)
    reach = float(np.max(np.abs(dx_one[1:]))) if m > 1 else 0.0

    def loss(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        layer = BatchNorm1d(c, eps=EPS)
        layer.weight, layer.bias = w, b
        return (layer(x) * Tensor(g)).sum()

    checks = [
        Check.at_most(
            "the engine's dx equals γ/σ·(g − mean g − x̂·mean(g x̂)) (relative error)",
            relative_error(dx, textbook_dx(x_data, g, gamma)),
            EXACT,
        ),
        Check.at_most(
            "dγ = Σ g·x̂ and dβ = Σ g over the batch (relative error)",
            max(
                relative_error(dgamma, (g * xhat).sum(axis=0)), relative_error(dbeta, g.sum(axis=0))
            ),
            EXACT,
        ),
        Check.at_most(
            "dx sums to zero over the batch and is orthogonal to x̂, per feature "
            "(largest |Σ dx| or |Σ dx·x̂|, relative to |dx|)",
            max(
                float(np.max(np.abs(dx.sum(axis=0)))),
                float(np.max(np.abs((dx * xhat).sum(axis=0)))),
            )
            / float(np.max(np.abs(dx))),
            1e-10,
        ),
        Check.at_least(
            "the mean terms matter: dx differs from γ·g/σ (relative difference)",
            relative_error(naive, dx),
            1e-2,
        ),
        Check.at_least(
            "coupling: an upstream gradient on example 0 alone reaches every other example "
            "(largest |dx| outside row 0)",
            reach,
            1e-6,
        ),
        gradcheck_all(
            "the engine's dx, dγ, dβ equal central differences",
            loss,
            [x_data, gamma, beta],
            ["∂L/∂x", "∂L/∂γ", "∂L/∂β"],
        ),
    ]
    steps = [
        Step("x (m × C)", x_data, r"x \in \mathbb{R}^{m\times C}"),
        Step("x̂ = (x − μ)/σ", xhat, r"\hat x = (x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon}"),
        Step("y = γ x̂ + β", y),
        Step("g = ∂L/∂y", g),
        Step(
            "dx (engine)",
            dx,
            r"\frac{\partial L}{\partial x} = \frac{\gamma}{\sigma}"
            r"\Big(g - \overline{g} - \hat x\,\overline{g\hat x}\Big)",
        ),
        Step("γ·g/σ (mean terms dropped: wrong)", naive),
        Step("dx when only example 0 has a gradient", dx_one, note="every row is nonzero"),
    ]
    return Demo(
        name="batchnorm_backward",
        title="Batch norm backward: the mean terms and the coupled batch",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Over a batch of {m}, the engine's dx matches the formula with both mean terms; "
            f"dropping them is off by {relative_error(naive, dx):.0%}. A gradient on example 0 "
            f"alone moved the other examples' dx by up to {reach:.3g}."
        ),
    )
