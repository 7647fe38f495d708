"""Card 6: backward through H = ReLU(Z) — a mask on the upstream gradient, and the value at 0."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks, max_abs_difference, shape_text
from app.demos.registry import register
from app.engine import Tensor, relu


class ReluBackwardParams(DemoParams):
    batch: int = Field(default=3, ge=1, le=8, description="Rows of Z (examples in the batch).")
    n: int = Field(default=5, ge=2, le=8, description="Units in the layer (columns of Z).")


def pre_activations(rng: np.random.Generator, batch: int, n: int) -> np.ndarray:
    """Small nonzero integers with a quarter of the entries set to exactly 0."""
    z = rng.choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], size=(batch, n))
    # Exact zeros are rare in practice; the demo plants some so the convention is visible.
    zeros = rng.choice(z.size, size=max(1, z.size // 4), replace=False)
    z.flat[zeros] = 0.0
    return z


def relu_gradient(
    z_data: np.ndarray, upstream: np.ndarray, grad_at_zero: float | None
) -> np.ndarray:
    """∂L/∂Z from the engine's relu under one convention at 0 (None: the engine's default)."""
    z = Tensor(z_data, requires_grad=True, name="Z")
    relu(z, grad_at_zero=grad_at_zero).backward(gradient=upstream)
    assert z.grad is not None
    return z.grad


@register(
    "relu_backward",
    "Backward through a ReLU",
    ReluBackwardParams,
    rules=("relu.vjp",),
)
def relu_backward(params: ReluBackwardParams) -> Demo:
    """Run the demo: backward through a ReLU."""
    rng = params.rng()
    z_data = pre_activations(rng, params.batch, params.n)
    upstream = rng.choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], size=z_data.shape)
    positive, negative, zero = z_data > 0, z_data < 0, z_data == 0
    mask = positive.astype(np.float64)

    h = relu(Tensor(z_data)).data
    # The default is convention 0, PyTorch's; the demo checks that it really is.
    d_zero = relu_gradient(z_data, upstream, None)
    d_one = relu_gradient(z_data, upstream, 1.0)
    shape = shape_text(z_data.shape)

    def loss(v: Tensor) -> Tensor:
        # L = Σ H̄ ⊙ ReLU(Z) over the nonzero entries: a step of 1e-6 never crosses 0 there.
        return (relu(v) * Tensor(upstream[~zero])).sum()

    steps = [
        Step("Z (pre-activation)", z_data, r"Z \in \mathbb{R}^{B\times n}", f"{shape}"),
        Step("H = ReLU(Z)", h, r"H = \max(0, Z)", f"{shape}"),
        Step(
            "M (mask)",
            mask,
            r"M_{ij} = [Z_{ij} > 0]",
            "1 where the unit was active, 0 where Z ≤ 0 (PyTorch's convention at 0)",
        ),
        Step("H̄ = ∂L/∂H (upstream)", upstream, r"\bar H \in \mathbb{R}^{B\times n}", shape),
        Step(
            "∂L/∂Z, convention 0 at Z = 0",
            d_zero,
            r"\frac{\partial L}{\partial Z} = \bar H \odot M",
            f"{shape}: H̄ passed where Z > 0, zeroed where Z ≤ 0",
        ),
        Step(
            "∂L/∂Z, convention 1 at Z = 0",
            d_one,
            r"\frac{\partial L}{\partial Z} = \bar H \odot [Z \ge 0]",
            "differs only where Z is exactly 0; any value in [0, 1] is a valid subgradient",
        ),
        Step("exact zeros in Z", int(zero.sum()), note="entries where the two conventions differ"),
    ]
    checks = [
        Check.at_most(
            "engine's ∂L/∂Z equals H̄ ⊙ M", max_abs_difference(d_zero, upstream * mask), 1e-12
        ),
        Check.equal(
            "where Z > 0 the upstream gradient passes through unchanged (entries changed)",
            int(np.sum(d_zero[positive] != upstream[positive])),
            0,
        ),
        Check.equal(
            "where Z < 0 the gradient is zeroed (entries not zero)",
            int(np.count_nonzero(d_zero[negative])),
            0,
        ),
        Check.at_most(
            "at Z = 0 convention 0 gives a gradient of 0",
            max_abs_difference(d_zero[zero], np.zeros_like(d_zero[zero])),
            0.0,
        ),
        Check.at_most(
            "at Z = 0 convention 1 passes the upstream gradient",
            max_abs_difference(d_one[zero], upstream[zero]),
            0.0,
        ),
    ]
    checks += finite_difference_checks(loss, [z_data[~zero]], ["∂L/∂Z (away from 0)"])
    return Demo(
        name="relu_backward",
        title="Backward through a ReLU",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Of the {z_data.size} entries of Z, {int(positive.sum())} are positive and pass H̄ "
            f"unchanged, {int(negative.sum())} are negative and get 0, and at the "
            f"{int(zero.sum())} exact zeros the gradient is 0 under convention 0 and H̄ under "
            "convention 1."
        ),
    )
