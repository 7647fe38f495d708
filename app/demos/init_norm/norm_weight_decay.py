"""Card 13: weight decay and normalisation layers.

A weight matrix feeding a batch norm only matters through its direction: BN(x(cW)ᵀ) = BN(xWᵀ)
for any c > 0. So the gradient is orthogonal to each row of W and scales like 1/c, and an SGD
step of size η at scale c acts like a step of η/c² at scale 1: weight decay on such W does not
regularise the function, it shrinks ‖W‖ and so raises the effective learning rate. Decay on γ
and β does change the function (it pulls γ toward 0), which is why they, and biases, are usually
put in a parameter group with weight_decay = 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.init_norm.common import grad_of, gradcheck_all, relative_error
from app.demos.registry import register
from app.engine import SGD, Tensor, batch_norm, linear

EPS = 0.0  # exact scale invariance; PyTorch's ε = 1e-5 bends it by about ε/σ²


class NormWeightDecayParams(DemoParams):
    batch: int = Field(default=16, ge=4, le=32, description="Examples.")
    n_in: int = Field(default=6, ge=2, le=16, description="Inputs of the linear layer.")
    n_out: int = Field(default=4, ge=2, le=16, description="Outputs, each batch-normalised.")
    scale: float = Field(default=3.0, ge=0.25, le=8.0, description="c: W is multiplied by it.")


def model(x: np.ndarray, w: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
    """BN(x Wᵀ) with affine γ, β, in training mode (no bias: BN would remove it)."""
    return batch_norm(linear(Tensor(x), w), None, None, gamma, beta, training=True, eps=EPS)


@register(
    "norm_weight_decay",
    "Weight decay and normalisation layers",
    NormWeightDecayParams,
    rules=("batch_norm.vjp", "linear.vjp"),
)
def norm_weight_decay(params: NormWeightDecayParams) -> Demo:
    """Run the demo: scale invariance of W before batch norm, and what decay then does."""
    rng = params.rng()
    c = params.scale
    x = rng.standard_normal((params.batch, params.n_in))
    w0 = rng.standard_normal((params.n_out, params.n_in))
    gamma0 = rng.uniform(0.5, 2.0, params.n_out)
    beta0 = rng.normal(0.0, 1.0, params.n_out)
    upstream = rng.standard_normal((params.batch, params.n_out))

    def grads(w_data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = Tensor(w_data, requires_grad=True)
        out = model(x, w, Tensor(gamma0), Tensor(beta0))
        (out * Tensor(upstream)).sum().backward()
        return out.data, grad_of(w)

    y1, g1 = grads(w0)
    yc, gc = grads(c * w0)
    row_cos = np.abs((g1 * w0).sum(axis=1)) / (
        np.linalg.norm(g1, axis=1) * np.linalg.norm(w0, axis=1)
    )
    lr = 0.1
    after_scaled, _ = grads(c * w0 - lr * gc)
    after_effective, _ = grads(w0 - lr / c**2 * g1)

    # A parameter group without decay for γ, β: a step with zero gradients is pure decay.
    w = Tensor(w0.copy(), requires_grad=True)
    gamma, beta = (
        Tensor(gamma0.copy(), requires_grad=True),
        Tensor(beta0.copy(), requires_grad=True),
    )
    for p in (w, gamma, beta):
        p.grad = np.zeros_like(p.data)
    decay = 0.05
    groups: list[dict[str, Any]] = [
        {"params": [w]},
        {"params": [gamma, beta], "weight_decay": 0.0},
    ]
    SGD(groups, lr=lr, weight_decay=decay).step()
    w_shrunk = relative_error(w.data, (1 - lr * decay) * w0)
    norm_kept = max(relative_error(gamma.data, gamma0), relative_error(beta.data, beta0))
    # Decay on γ would have shrunk the output: y − β scales by (1 − lr·λ).
    y_decayed = model(x, Tensor(w0), Tensor((1 - lr * decay) * gamma0), Tensor(beta0)).data

    def loss(w_: Tensor, g_: Tensor, b_: Tensor) -> Tensor:
        out = batch_norm(linear(Tensor(x), w_), None, None, g_, b_, training=True, eps=1e-5)
        return (out * Tensor(upstream)).sum()

    checks = [
        Check.at_most(
            f"scale invariance: BN(x(cW)ᵀ) = BN(xWᵀ) for c = {c:g} (relative difference)",
            relative_error(yc, y1),
            1e-10,
        ),
        Check.at_most(
            "the gradient is orthogonal to each row of W (largest |cos| between ∂L/∂W_j and W_j)",
            float(np.max(row_cos)),
            1e-10,
        ),
        Check.at_most(
            "the gradient at cW is the gradient at W divided by c (relative error)",
            relative_error(gc, g1 / c),
            1e-10,
        ),
        Check.at_most(
            "a step of lr η at scale c gives the same function as a step of η/c² at scale 1 "
            "(relative difference of the outputs)",
            relative_error(after_scaled, after_effective),
            1e-10,
        ),
        Check.at_most(
            "SGD with weight_decay shrinks W by (1 − ηλ) and leaves γ, β in a weight_decay=0 "
            "group untouched (relative error)",
            max(w_shrunk, norm_kept),
            1e-12,
        ),
        Check.at_least(
            "decay on γ is not harmless: it shrinks the layer's output (largest change)",
            float(np.max(np.abs(y_decayed - y1))),
            1e-3,
        ),
        gradcheck_all(
            "the engine's gradients of BN(xWᵀ) (W, γ, β) equal central differences",
            loss,
            [w0, gamma0, beta0],
            ["∂L/∂W", "∂L/∂γ", "∂L/∂β"],
        ),
    ]
    steps = [
        Step("‖W‖ and ‖cW‖", f"{np.linalg.norm(w0):.3g}, {np.linalg.norm(c * w0):.3g}"),
        Step(
            "‖∂L/∂W‖ at W and at cW",
            f"{np.linalg.norm(g1):.3g}, {np.linalg.norm(gc):.3g}",
            r"\nabla_{cW} L = \tfrac1c \nabla_W L",
        ),
        Step("|cos(∂L/∂W_j, W_j)| per row", row_cos, r"\langle \nabla_{W_j} L, W_j\rangle = 0"),
        Step(
            "effective learning rate at scale c",
            lr / c**2,
            r"\eta_\text{eff} = \eta / \lVert W\rVert^2 \text{ (relative)}",
        ),
    ]
    return Demo(
        name="norm_weight_decay",
        title="Weight decay and normalisation layers",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Scaling W by {c:g} left the batch-normalised output unchanged, divided the gradient "
            f"by {c:g} and the effective learning rate by {c**2:.3g}: decay on W changes the step "
            "size, not the function, while decay on γ shrinks the output."
        ),
    )
