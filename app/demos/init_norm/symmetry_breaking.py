"""Card 3: all-zero or all-equal init never breaks the symmetry between hidden units.

Units that start equal get equal gradients (each sees the same inputs and the same outgoing
weight), so gradient descent moves them together forever. With all zeros and tanh the hidden
layer outputs 0 and passes back no gradient, so only the output bias learns.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.init_norm.common import grad_of, gradcheck_all
from app.demos.registry import register
from app.engine import Tensor, linear, mse_loss


class SymmetryBreakingParams(DemoParams):
    n_in: int = Field(default=4, ge=2, le=8, description="Inputs.")
    hidden: int = Field(default=5, ge=2, le=8, description="Hidden tanh units.")
    steps: int = Field(default=20, ge=1, le=50, description="SGD steps.")
    lr: float = Field(default=0.1, ge=0.01, le=0.5, description="Learning rate.")


def net(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
    """y = tanh(x W1ᵀ + b1) W2ᵀ + b2."""
    return linear(linear(x, w1, b1).tanh(), w2, b2)


def train(
    start: list[np.ndarray], x: np.ndarray, y: np.ndarray, steps: int, lr: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Plain SGD from `start` = [W1, b1, W2, b2]; returns the final values and first gradients."""
    values = [v.copy() for v in start]
    first: list[np.ndarray] = []
    for step in range(steps):
        params = [Tensor(v, requires_grad=True) for v in values]
        mse_loss(net(Tensor(x), *params), y).backward()
        grads = [grad_of(p) for p in params]
        if step == 0:
            first = grads
        values = [v - lr * g for v, g in zip(values, grads, strict=True)]
    return values, first


def spread(w1: np.ndarray) -> float:
    """The largest difference between two hidden units' incoming weights (rows of W1)."""
    return float(np.max(np.abs(w1 - w1[0])))


def min_pair_distance(w1: np.ndarray) -> float:
    """The smallest distance between two rows of W1 (0 when two units are the same unit)."""
    rows = len(w1)
    return float(
        min(np.linalg.norm(w1[i] - w1[j]) for i in range(rows) for j in range(i + 1, rows))
    )


@register(
    "symmetry_breaking",
    "Zero and constant init never break the symmetry",
    SymmetryBreakingParams,
    rules=("linear.vjp", "tanh.vjp"),
)
def symmetry_breaking(params: SymmetryBreakingParams) -> Demo:
    """Run the demo: train a tanh MLP from constant, zero and random init."""
    rng = params.rng()
    n, h = params.n_in, params.hidden
    x = rng.standard_normal((8, n))
    y = rng.standard_normal((8, 1))
    c = float(rng.uniform(0.2, 0.6))
    shapes: list[tuple[int, ...]] = [(h, n), (h,), (1, h), (1,)]
    makers: dict[str, Callable[[tuple[int, ...]], np.ndarray]] = {
        "constant": lambda s: np.full(s, c),
        "zeros": lambda s: np.zeros(s),
        "random": lambda s: rng.standard_normal(s) * 0.5,
    }
    starts = {kind: [make(s) for s in shapes] for kind, make in makers.items()}
    runs = {kind: train(start, x, y, params.steps, params.lr) for kind, start in starts.items()}
    const_final, const_first = runs["constant"]
    zero_final, zero_first = runs["zeros"]
    rand_final, _ = runs["random"]

    def loss(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
        return mse_loss(net(Tensor(x), w1, b1, w2, b2), y) * 10.0

    checks = [
        Check.at_most(
            "constant init: the first gradient is the same for every hidden unit (rows of dW1)",
            spread(const_first[0]),
            1e-12,
        ),
        Check.at_most(
            f"constant init: after {params.steps} SGD steps every hidden unit still has the "
            "same weights (largest difference between rows of W1, relative to the largest "
            "weight: only floating-point rounding separates them)",
            (spread(const_final[0]) + float(np.ptp(const_final[2])))
            / float(np.max(np.abs(const_final[0]))),
            1e-8,
        ),
        Check.equal(
            "zero init with tanh: W1 and W2 get exactly zero gradient (nonzero entries)",
            int(np.count_nonzero(zero_first[0]) + np.count_nonzero(zero_first[2])),
            0,
        ),
        Check.equal(
            f"zero init: after {params.steps} steps W1 and W2 are still all zero (nonzero entries)",
            int(np.count_nonzero(zero_final[0]) + np.count_nonzero(zero_final[2])),
            0,
        ),
        Check.at_least(
            "random init: the hidden units stay distinct (smallest distance between rows of W1)",
            min_pair_distance(rand_final[0]),
            1e-3,
        ),
        gradcheck_all(
            "random init: the engine's gradients of W1, b1, W2, b2 equal central differences",
            loss,
            starts["random"],
            ["∂L/∂W1", "∂L/∂b1", "∂L/∂W2", "∂L/∂b2"],
        ),
    ]
    steps = [
        Step("constant c used for every weight and bias", c),
        Step(
            "constant init: dW1 at step 1",
            const_first[0],
            r"\partial L/\partial W_1",
            "every row equal",
        ),
        Step(
            f"constant init: W1 after {params.steps} steps", const_final[0], note="rows still equal"
        ),
        Step("zero init: b2 after training (the only parameter that moved)", zero_final[3]),
        Step(f"random init: W1 after {params.steps} steps", rand_final[0], note="rows differ"),
    ]
    return Demo(
        name="symmetry_breaking",
        title="Zero and constant init never break the symmetry",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"From the constant {c:.3f} the {h} hidden units got identical gradients and stayed "
            f"one unit copied {h} times; from zeros only the output bias learned (b2 = "
            f"{float(zero_final[3][0]):.3f}); from random weights the units differ."
        ),
    )
