"""Card 14: loss.backward() adds into .grad until zero_grad(), and frees the graph it walked."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference, shape_text
from app.demos.registry import register
from app.engine import SGD, Linear, Tensor, mse_loss


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


LR, MOMENTUM, DECAY = 0.1, 0.9, 0.1


def step_after_zero_grad(
    layer: Linear, x: np.ndarray, y: np.ndarray, set_to_none: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SGD with momentum and weight decay: one real step, then zero_grad(set_to_none) and a
    second step. Returns W after the first step, the second step's change of W, and the
    gradient of the first step."""
    w = layer.weight
    starts = [p.data.copy() for p in layer.parameters()]
    optimizer = SGD(layer.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=DECAY)
    optimizer.zero_grad()
    forward(layer, x, y).backward()
    assert w.grad is not None
    grad = w.grad.copy()
    optimizer.step()
    after_first = w.data.copy()
    optimizer.zero_grad(set_to_none=set_to_none)
    optimizer.step()
    moved = w.data - after_first
    for p, start in zip(layer.parameters(), starts, strict=True):
        p.data[...] = start  # leave the layer as it was for the other runs
    return after_first, moved, grad


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
    cleared_to_none = w.grad is None
    message = second_backward_error(layer, x, y)
    clear(layer)
    _, still, _ = step_after_zero_grad(layer, x, y, set_to_none=True)
    w1, moved, g0 = step_after_zero_grad(layer, x, y, set_to_none=False)
    # PyTorch's SGD by hand: v₁ = g₀ + λW₀ after step 1; a zero grad in step 2 still gives
    # v₂ = μv₁ + λW₁, so W moves by −η v₂ although the gradient was 0.
    expected_move = -LR * (MOMENTUM * (g0 + DECAY * w_before) + DECAY * w1)
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
        Step(
            "W's change in an SGD step after zero_grad() (.grad = None)",
            still,
            note=f"momentum {MOMENTUM}, weight decay {DECAY}: a None grad is skipped",
        ),
        Step(
            "W's change in an SGD step after zero_grad(set_to_none=False) (.grad = 0)",
            moved,
            r"-\eta\,(\mu v_1 + \lambda W_1)",
            "a zero gradient still moves W by its velocity and its decay",
        ),
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
        Check.equal("zero_grad() sets .grad to None (PyTorch ≥ 2.0)", int(cleared_to_none), 1),
        Check.at_most(
            "an SGD step skips a parameter whose .grad is None (max |ΔW|)",
            float(np.abs(still).max()),
            0.0,
        ),
        Check.at_most(
            "with .grad zeroed to 0, momentum and decay still move W as PyTorch's SGD does "
            "(max |ΔW − expected|)",
            max_abs_difference(moved, expected_move),
            1e-12,
        ),
        Check.at_least("and that move is not zero (max |ΔW|)", float(np.abs(moved).max()), 1e-6),
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
            + f" With momentum and weight decay, an SGD step after zero_grad() left W as it "
            f"was; after zero_grad(set_to_none=False) it still moved W by up to "
            f"{np.abs(moved).max():.3g}."
        ),
    )
