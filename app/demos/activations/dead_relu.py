"""Card 3: a ReLU unit whose pre-activation is negative on every input gets exactly zero
gradient and never moves again; a leaky ReLU passes the slope a back, so the same unit keeps
getting a gradient and its weights keep moving (whether it turns positive again depends on the
data; this demo shows only that it keeps learning)."""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from app.demos.activations._common import relative_difference
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks
from app.demos.registry import register
from app.engine import Tensor, leaky_relu, linear, mse_loss, relu

N_IN = 4
LEAK = 0.01  # torch.nn.LeakyReLU's default negative_slope
LR = 0.1
STEPS = 5


class DeadReluParams(DemoParams):
    units: int = Field(default=6, ge=2, le=16, description="Hidden units.")
    dead: int = Field(default=2, ge=1, le=8, description="Units knocked dead by a large step.")
    batch: int = Field(default=8, ge=2, le=32, description="Examples in the batch.")

    @model_validator(mode="after")
    def _some_alive(self) -> DeadReluParams:
        if self.dead >= self.units:
            raise ValueError("dead must be smaller than units: one unit must stay alive")
        return self


def setup(params: DeadReluParams) -> tuple[np.ndarray, ...]:
    """x, y, W, b, v: the dead units' biases pushed far below −max|xW|, as one big update does."""
    rng = params.rng()
    x = rng.standard_normal((params.batch, N_IN))
    y = rng.standard_normal((params.batch, 1))
    w = rng.standard_normal((params.units, N_IN)) / np.sqrt(N_IN)
    b = rng.uniform(0.1, 0.5, params.units)  # alive units start with a positive bias
    v = rng.choice([-1.0, 1.0], (1, params.units)) * rng.uniform(0.5, 1.5, (1, params.units))
    reach = np.abs(x @ w.T).max()
    b[: params.dead] = -(reach + rng.uniform(1.0, 3.0, params.dead))
    return x, y, w, b, v


def grads(
    act: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Engine ∂L/∂W and ∂L/∂b of L = mse(v · act(xWᵀ + b), y)."""
    wt, bt = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
    z = linear(Tensor(x), wt, bt)
    h = relu(z) if act == "relu" else leaky_relu(z, LEAK)
    mse_loss(linear(h, Tensor(v)), y).backward()
    assert wt.grad is not None and bt.grad is not None
    return np.asarray(wt.grad), np.asarray(bt.grad)


def by_hand(
    act: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The same gradients in NumPy: dZ = (2(ŷ − y)/B · v) ⊙ slope, dW = dZᵀx, db = Σ dZ."""
    z = x @ w.T + b
    slope = np.where(z > 0, 1.0, 0.0 if act == "relu" else LEAK)
    y_hat = (z * slope) @ v.T
    dz = (2 * (y_hat - y) / y.size) @ v * slope
    return dz.T @ x, dz.sum(axis=0)


def train(
    act: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """STEPS of SGD on W and b with the engine's gradients."""
    w, b = w.copy(), b.copy()
    for _ in range(STEPS):
        dw, db = grads(act, x, y, w, b, v)
        w, b = w - LR * dw, b - LR * db
    return w, b


@register(
    "dead_relu",
    "Dead ReLU units, and the leak that keeps them learning",
    DeadReluParams,
    rules=("relu.vjp", "leaky_relu.vjp", "linear.vjp"),
)
def dead_relu(params: DeadReluParams) -> Demo:
    """Run the demo: dead ReLU units, and the leak that keeps them learning."""
    x, y, w, b, v = setup(params)
    k = params.dead
    z = x @ w.T + b
    dw, db = grads("relu", x, y, w, b, v)
    ldw, ldb = grads("leaky", x, y, w, b, v)
    hand_dw, hand_db = by_hand("relu", x, y, w, b, v)
    hand_ldw, hand_ldb = by_hand("leaky", x, y, w, b, v)
    w5, b5 = train("relu", x, y, w, b, v)
    lw5, lb5 = train("leaky", x, y, w, b, v)

    dead_grad = np.concatenate([dw[:k].ravel(), db[:k]])
    moved = int(np.count_nonzero(w5[:k] != w[:k]) + np.count_nonzero(b5[:k] != b[:k]))
    leaky_moved = int(np.count_nonzero(lw5[:k] != w[:k]) + np.count_nonzero(lb5[:k] != b[:k]))
    checks = [
        Check.equal(
            f"the {k} dead unit(s) have z < 0 on every example (entries with z ≥ 0)",
            int(np.count_nonzero(z[:, :k] >= 0)),
            0,
        ),
        Check.equal(
            "ReLU: the dead units' ∂L/∂W and ∂L/∂b are exactly 0 (nonzero entries)",
            int(np.count_nonzero(dead_grad)),
            0,
        ),
        Check.at_most(
            "ReLU: engine's ∂L/∂W and ∂L/∂b equal (2(ŷ − y)/B · v ⊙ [z > 0])ᵀ x and its sum "
            "(relative)",
            max(relative_difference(dw, hand_dw), relative_difference(db, hand_db)),
            1e-10,
        ),
        Check.equal(
            f"ReLU: after {STEPS} SGD steps the dead units' weights and biases never changed "
            "(entries changed)",
            moved,
            0,
        ),
        Check.at_most(
            f"leaky ReLU (a = {LEAK}): engine's gradients equal the same formula with slope a "
            "below 0 (relative)",
            max(relative_difference(ldw, hand_ldw), relative_difference(ldb, hand_ldb)),
            1e-10,
        ),
        Check.at_least(
            "leaky ReLU: the same units get a nonzero gradient and move (entries changed)",
            leaky_moved,
            1,
        ),
    ]
    checks += finite_difference_checks(
        lambda wt, bt: (
            mse_loss(linear(leaky_relu(linear(Tensor(x), wt, bt), LEAK), Tensor(v)), y) * 10.0
        ),
        [w, b],
        ["∂L/∂W (leaky)", "∂L/∂b (leaky)"],
    )
    steps = [
        Step("b (the first units knocked far negative)", b, r"b \in \mathbb{R}^{n}"),
        Step(
            "Z = XWᵀ + b", z, r"Z \in \mathbb{R}^{B\times n}", "dead columns are < 0 on every row"
        ),
        Step("ReLU: ∂L/∂b", db, r"\partial L/\partial b = \textstyle\sum_i G_i \odot [Z_i > 0]"),
        Step("leaky ReLU: ∂L/∂b", ldb, r"\partial L/\partial b = \textstyle\sum_i G_i \odot s_i"),
        Step(f"ReLU: b after {STEPS} steps", b5),
        Step(f"leaky ReLU: b after {STEPS} steps", lb5),
    ]
    return Demo(
        name="dead_relu",
        title="Dead ReLU units, and the leak that keeps them learning",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"The {k} unit(s) with z < 0 on all {params.batch} examples got a gradient of "
            "exactly 0 "
            f"and were unchanged after {STEPS} SGD steps; with a leak of {LEAK} they received "
            f"{LEAK}× the linear unit's gradient and kept moving."
        ),
    )
