"""Card 7: without non-linearities a deep net is one affine map (its Jacobian is the same
product of weights at every input); one ReLU between the layers breaks that."""

from __future__ import annotations

import itertools

import numpy as np
from pydantic import Field

from app.demos.activations._common import relative_difference
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import Tensor, jacobian, linear, relu

N_IN, N_OUT = 3, 2


class LinearCollapseParams(DemoParams):
    depth: int = Field(default=4, ge=2, le=6, description="Linear layers.")
    width: int = Field(default=4, ge=2, le=6, description="Hidden width.")


def net(x: Tensor, weights: list[np.ndarray], biases: list[np.ndarray], with_relu: bool) -> Tensor:
    """The stack of linear layers, with ReLU between them when `with_relu`."""
    h = x
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = linear(h, Tensor(w), Tensor(b))
        if with_relu and i < len(weights) - 1:
            h = relu(h)
    return h


def relu_jacobian_at(
    weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray
) -> np.ndarray:
    """The engine's Jacobian (reverse mode) of the ReLU net at x."""
    return jacobian(lambda v: net(v, weights, biases, True), x).matrix


@register(
    "linear_collapse",
    "Stacked linear layers collapse to one",
    LinearCollapseParams,
    rules=("linear.vjp", "relu.vjp"),
)
def linear_collapse(params: LinearCollapseParams) -> Demo:
    """Run the demo: stacked linear layers collapse to one."""
    rng = params.rng()
    sizes = [N_IN] + [params.width] * (params.depth - 1) + [N_OUT]
    # Weights and two inputs whose ReLU patterns differ somewhere (redrawn, seeded, until they
    # do: with width 2 a draw can leave a layer dead for both inputs).
    for _ in range(100):
        weights = [rng.standard_normal((o, i)) / np.sqrt(i) for i, o in itertools.pairwise(sizes)]
        biases = [rng.standard_normal(o) * 0.5 for o in sizes[1:]]
        x1, x2 = rng.standard_normal(N_IN), rng.standard_normal(N_IN)
        j1 = relu_jacobian_at(weights, biases, x1)
        j2 = relu_jacobian_at(weights, biases, x2)
        if np.abs(j1 - j2).max() > 1e-2:
            break
    w_eff = np.eye(N_IN)
    b_eff = np.zeros(N_IN)
    for w, b in zip(weights, biases, strict=True):
        w_eff, b_eff = w @ w_eff, w @ b_eff + b
    lin1 = jacobian(lambda v: net(v, weights, biases, False), x1).matrix
    lin2 = jacobian(lambda v: net(v, weights, biases, False), x2).matrix
    out1 = net(Tensor(x1), weights, biases, False).data

    def masked_product(x: np.ndarray) -> np.ndarray:
        """W_L D_{L−1} … D_1 W_1 with D_ℓ = diag[z_ℓ > 0], from the forward values."""
        h, jac = x, np.eye(N_IN)
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            z = w @ h + b
            jac = w @ jac
            if i < len(weights) - 1:
                jac = (z > 0)[:, None] * jac
                h = np.maximum(z, 0)
        return jac

    checks = [
        Check.at_most(
            "no activation: the net's output equals W_eff x + b_eff (relative)",
            relative_difference(out1, w_eff @ x1 + b_eff),
            1e-12,
        ),
        Check.at_most(
            "no activation: the engine's Jacobian equals W_L ⋯ W_1 (relative)",
            relative_difference(lin1, w_eff),
            1e-12,
        ),
        Check.at_most(
            "no activation: the Jacobian is the same at a second input (relative)",
            relative_difference(lin2, lin1),
            1e-12,
        ),
        Check.at_most(
            "with ReLU: the engine's Jacobian is W_L D ⋯ D W_1, the masks read from each input "
            "(relative, both inputs)",
            max(
                relative_difference(j1, masked_product(x1)),
                relative_difference(j2, masked_product(x2)),
            ),
            1e-12,
        ),
        Check.at_least(
            "with ReLU: the Jacobians at the two inputs differ (largest entry difference)",
            float(np.abs(j1 - j2).max()),
            1e-2,
        ),
    ]
    steps = [
        Step("W_eff = W_L ⋯ W_1", w_eff, r"W_\text{eff} \in \mathbb{R}^{2\times 3}"),
        Step("b_eff", b_eff, r"b_\text{eff} = W_L(\cdots(W_2 b_1 + b_2)\cdots) + b_L"),
        Step("Jacobian without activations, at x₁", lin1),
        Step("Jacobian with ReLU, at x₁", j1),
        Step("Jacobian with ReLU, at x₂", j2),
    ]
    return Demo(
        name="linear_collapse",
        title="Stacked linear layers collapse to one",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"{params.depth} linear layers without activations compute one 2×3 affine map: the "
            "Jacobian is the same product of weights at every input. With ReLU between them it "
            f"changes with the input (entries differ by up to {np.abs(j1 - j2).max():.3f})."
        ),
    )
