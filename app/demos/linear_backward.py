"""Card 5: backward through Z = X Wᵀ + b — dW, dX, db with shapes that line up, each checked."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks, max_abs_difference, shape_text
from app.demos.registry import register
from app.engine import Tensor, linear


class LinearBackwardParams(DemoParams):
    batch: int = Field(default=4, ge=1, le=32, description="Rows of X (examples in the batch).")
    n_in: int = Field(default=3, ge=1, le=16, description="Input features.")
    n_out: int = Field(default=2, ge=1, le=16, description="Output features.")


def layer(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """The layer in the deck's convention, run by the fused op nn.Linear, MLP and the exercises
    use: W is n_out×n_in, as in PyTorch's nn.Linear."""
    return linear(x, w, b)


@register(
    "linear_backward",
    "Backward through a linear layer",
    LinearBackwardParams,
    rules=("linear.vjp",),
)
def linear_backward(params: LinearBackwardParams) -> Demo:
    """Run the demo: backward through a linear layer."""
    rng = params.rng()
    # Small integers keep the numbers readable; float64 keeps the checks tight.
    x_data = rng.integers(-3, 4, size=(params.batch, params.n_in)).astype(np.float64)
    w_data = rng.integers(-2, 3, size=(params.n_out, params.n_in)).astype(np.float64)
    b_data = rng.integers(-1, 2, size=params.n_out).astype(np.float64)
    upstream = rng.integers(-2, 3, size=(params.batch, params.n_out)).astype(np.float64)

    x = Tensor(x_data, requires_grad=True, name="X")
    w = Tensor(w_data, requires_grad=True, name="W")
    b = Tensor(b_data, requires_grad=True, name="b")
    z = layer(x, w, b)
    z.backward(gradient=upstream)
    assert x.grad is not None and w.grad is not None and b.grad is not None

    formulas = {
        "dW": upstream.T @ x_data,  # Gᵀ X
        "dX": upstream @ w_data,  # G W
        "db": upstream.sum(axis=0),  # Gᵀ 1
    }
    engine = {"dW": w.grad, "dX": x.grad, "db": b.grad}
    B, n_in, n_out = params.batch, params.n_in, params.n_out

    def loss(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        # L = Σ G ⊙ Z has ∂L/∂Z = G exactly: the upstream gradient the layer receives.
        return (layer(x, w, b) * Tensor(upstream)).sum()

    steps = [
        Step("X", x_data, r"X \in \mathbb{R}^{B\times n_\text{in}}"),
        Step("W", w_data, r"W \in \mathbb{R}^{n_\text{out}\times n_\text{in}}"),
        Step("b", b_data, r"b \in \mathbb{R}^{n_\text{out}}"),
        Step("Z = X Wᵀ + b", z.data, r"Z = XW^\top + \mathbf{1}_B b^\top"),
        Step("G = ∂L/∂Z (upstream)", upstream, r"G \in \mathbb{R}^{B\times n_\text{out}}"),
        Step(
            "∂L/∂W = Gᵀ X",
            w.grad,
            r"\frac{\partial L}{\partial W} = G^\top X",
            f"({n_out}×{B}) · ({B}×{n_in}) = {n_out}×{n_in}, the shape of W",
        ),
        Step(
            "∂L/∂X = G W",
            x.grad,
            r"\frac{\partial L}{\partial X} = G W",
            f"({B}×{n_out}) · ({n_out}×{n_in}) = {B}×{n_in}, the shape of X",
        ),
        Step(
            "∂L/∂b = Gᵀ 1",
            b.grad,
            r"\frac{\partial L}{\partial b} = G^\top \mathbf{1}_B",
            f"the {B} rows of G summed: {n_out} entries, the shape of b",
        ),
    ]
    # The classic slip: X^T G. It is n_in×n_out, W^T's shape; for a square W it has the right
    # shape but other numbers (unless W^T G happens to be symmetric).
    wrong = x_data.T @ upstream
    wrong_fits = wrong.shape == w_data.shape and max_abs_difference(wrong, w.grad) <= 1e-12
    steps.append(
        Step(
            "wrong layout Xᵀ G",
            wrong,
            r"X^\top G",
            f"({n_in}×{B}) · ({B}×{n_out}) = {shape_text(wrong.shape)}: "
            + (
                f"not W's {shape_text(w_data.shape)}"
                if wrong.shape != w_data.shape
                else "W's shape, but it is (Gᵀ X)ᵀ, not Gᵀ X"
            ),
        )
    )
    checks = [
        Check.at_most(
            f"engine's {name} equals the formula", max_abs_difference(engine[name], formula), 1e-12
        )
        for name, formula in formulas.items()
    ]
    mismatched = sum(
        grad.shape != tensor.shape for grad, tensor in ((w.grad, w), (x.grad, x), (b.grad, b))
    )
    checks.append(Check.equal("every gradient has its tensor's shape", mismatched, 0))
    checks.append(
        Check.equal(
            "the wrong layout Xᵀ G is not ∂L/∂W (wrong shape, or wrong numbers when square)",
            # When Gᵀ X is symmetric (e.g. 1×1) the two layouts coincide and prove nothing.
            int(wrong_fits and not np.array_equal(formulas["dW"], formulas["dW"].T)),
            0,
        )
    )
    checks += finite_difference_checks(loss, [x_data, w_data, b_data], ["∂L/∂X", "∂L/∂W", "∂L/∂b"])
    return Demo(
        name="linear_backward",
        title="Backward through a linear layer",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With a batch of {B}, dW = GᵀX is {shape_text(w.grad.shape)} like W, dX = GW is "
            f"{shape_text(x.grad.shape)} like X, and db sums G over the batch."
        ),
    )
