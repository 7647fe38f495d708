"""Card 14: loss.backward() adds into .grad until zero_grad(), and frees the graph it walked."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference, shape_text
from app.demos.registry import register
from app.engine import Linear, Tensor, mse_loss


class LossBackwardParams(DemoParams):
    batch: int = Field(default=4, ge=1, le=16, description="Rows of X (examples in the batch).")
    n_in: int = Field(default=3, ge=1, le=8, description="Input features.")
    n_out: int = Field(default=2, ge=1, le=4, description="Output features.")


def forward(layer: Linear, x: np.ndarray, y: np.ndarray) -> Tensor:
    """A fresh graph for L = mean((X Wᵀ + b - Y)²)."""
    return mse_loss(layer(Tensor(x)), y)


def clear(layer: Linear) -> None:
    """What optimizer.zero_grad() does: forget each parameter's accumulated .grad."""
    for p in layer.parameters():
        p.zero_grad()


def second_backward_error(layer: Linear, x: np.ndarray, y: np.ndarray) -> str:
    """The message of the error a second backward through a freed graph raises ('' if none)."""
    loss = forward(layer, x, y)
    loss.backward()
    try:
        loss.backward()
    except RuntimeError as error:
        return str(error)
    return ""


@register(
    "loss_backward",
    "What loss.backward() does",
    LossBackwardParams,
    rules=("autograd.accumulate", "autograd.free"),
)
def loss_backward(params: LossBackwardParams) -> Demo:
    """Run the demo: what loss.backward() does."""
    rng = params.rng()
    x = rng.integers(-2, 3, size=(params.batch, params.n_in)).astype(np.float64)
    y = rng.integers(-2, 3, size=(params.batch, params.n_out)).astype(np.float64)
    layer = Linear(params.n_in, params.n_out, seed=rng)
    w = layer.weight
    w_before = w.data.copy()

    loss = forward(layer, x, y)
    loss.backward()
    assert w.grad is not None
    once = w.grad.copy()
    # A new forward and backward, with no zero_grad() in between: .grad is added to.
    forward(layer, x, y).backward()
    twice = w.grad.copy()
    clear(layer)
    forward(layer, x, y).backward()
    after_clear = w.grad.copy()
    clear(layer)
    message = second_backward_error(layer, x, y)
    raised = bool(message) and "retain_graph=True" in message
    shape = shape_text(w.shape)

    steps = [
        Step(
            "L after the first forward",
            loss.item(),
            r"L = \tfrac{1}{B n_\text{out}}\lVert XW^\top + \mathbf{1}_B b^\top - Y\rVert^2",
        ),
        Step(
            "W.grad after one backward",
            once,
            r"\texttt{W.grad} = \partial L/\partial W",
            f"{shape}, the shape of W",
        ),
        Step(
            "W.grad after a second backward, no zero_grad()",
            twice,
            r"\texttt{W.grad} \mathrel{+}= \partial L/\partial W",
            "added to, not overwritten: twice the gradient",
        ),
        Step("W.grad after zero_grad() then backward", after_clear, note="one gradient again"),
        Step(
            "W changed by backward()",
            max_abs_difference(w.data, w_before),
            note="0: only step() updates weights",
        ),
        Step("second backward through a freed graph", message or "no error was raised"),
    ]
    checks = [
        Check.at_most(
            "without zero_grad, a second backward doubles .grad (max |twice − 2·once|)",
            max_abs_difference(twice, 2 * once),
            0.0,
        ),
        Check.at_most(
            "after zero_grad, .grad equals one backward's gradient",
            max_abs_difference(after_clear, once),
            0.0,
        ),
        Check.equal(
            "a second backward through a freed graph raises an error naming retain_graph=True",
            int(raised),
            1,
        ),
    ]
    return Demo(
        name="loss_backward",
        title="What loss.backward() does",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Two backward calls left W.grad[0, 0] at {twice.flat[0]:.6g}, twice the "
            f"{once.flat[0]:.6g} of one call; after zero_grad() it was {after_clear.flat[0]:.6g} "
            "again, and a second backward through a freed graph "
            + ("raised an error asking for retain_graph=True." if raised else "raised no error.")
        ),
    )
