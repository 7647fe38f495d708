"""A training step by hand: one SGD update, and every gradient of a 2-2-1 network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import SGD, Tensor, linear, mse_loss, relu
from app.exercises.base import AnswerField, Exercise, Given, Mistake, Numbers, register
from app.exercises.text import number

LEARNING_RATES = [0.1, 0.05, 0.25, 0.5]


def _sgd_answer(v: Mapping[str, Any], factor: float, direction: float) -> dict[str, np.ndarray]:
    """Gradients `factor`·(ŷ − y)·x and a step θ + direction·η·gradient."""
    x, w, b, lr = v["x"], v["W"], v["b"], float(v["lr"])
    error = float((x @ w.T + b - v["y"])[0, 0])
    dw, db = factor * error * x, np.array([factor * error])
    return {"dW": dw, "db": db, "W_new": w + direction * lr * dw, "b_new": b + direction * lr * db}


def _ascent(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
    answer = _sgd_answer(v, 2.0, +1.0)
    return {"W_new": answer["W_new"], "b_new": answer["b_new"]}


SGD_MISTAKES = (
    Mistake(
        "half_convention",
        "used the ½(ŷ − y)² convention: every gradient off by a factor of 2",
        lambda v: _sgd_answer(v, 1.0, -1.0),
    ),
    Mistake("ascent", "stepped up the gradient: θ + η∇θ", _ascent),
)


@register(
    "sgd_step",
    "One step of SGD",
    "Gradients of a squared error for one example, then one update θ ← θ − η∇θ.",
    SGD_MISTAKES,
)
def sgd_step(rng: np.random.Generator, seed: int) -> Exercise:
    """ŷ = x Wᵀ + b with W of shape (1, 3); L = (ŷ − y)² (MSELoss on one example); SGD step."""
    numbers = Numbers(rng)
    lr = numbers.pick(LEARNING_RATES)
    for _ in range(1000):
        x = numbers.ints((1, 3), -2, 2)
        target = numbers.ints((1, 1), -2, 2)
        w0, b0 = numbers.ints((1, 3), -1, 1), numbers.ints((1,), -1, 1)
        # A small, non-zero error: a zero gradient would make the step a no-op.
        if 0 < abs(float((x @ w0.T + b0 - target)[0, 0])) <= 3:
            break
    weight = Tensor(w0.copy(), requires_grad=True)
    bias = Tensor(b0.copy(), requires_grad=True)

    prediction = linear(x, weight, bias)
    loss = mse_loss(prediction, target)
    optimizer = SGD([weight, bias], lr=lr)
    optimizer.zero_grad()
    loss.backward()
    assert weight.grad is not None and bias.grad is not None
    dw, db = weight.grad.copy(), bias.grad.copy()
    optimizer.step()

    prompt = (
        "A one-output linear layer predicts $\\hat y = xW^\\top + b$ for one example, with "
        "$W \\in \\mathbb{R}^{1\\times 3}$, and the loss is the squared error "
        "$L = (\\hat y - y)^2$ (PyTorch's `MSELoss` on a single number). Compute "
        "$\\partial L/\\partial W$ and $\\partial L/\\partial b$, then the parameters after one "
        f"step of plain SGD with learning rate $\\eta = {number(lr)}$: "
        "$\\theta \\leftarrow \\theta - \\eta\\,\\partial L/\\partial\\theta$."
    )
    steps = (
        Step("ŷ = x Wᵀ + b", prediction.data, r"\hat y = xW^\top + b"),
        Step("L = (ŷ − y)²", float(loss.data), r"L = (\hat y - y)^2"),
        Step("∂L/∂ŷ = 2(ŷ − y)", 2 * (prediction.data - target), r"\partial L/\partial \hat y"),
        Step("dW = ∂L/∂ŷ · x", dw, r"\partial L/\partial W = 2(\hat y - y)\,x"),
        Step("db = ∂L/∂ŷ", db, r"\partial L/\partial b = 2(\hat y - y)"),
        Step("W ← W − η dW", weight.data, r"W - \eta\,\partial L/\partial W"),
        Step("b ← b − η db", bias.data, r"b - \eta\,\partial L/\partial b"),
    )
    return Exercise(
        kind="sgd_step",
        seed=seed,
        title="One step of SGD",
        prompt=prompt,
        given=(
            Given("x", "x", x),
            Given("y", "y", target),
            Given("W", "W", w0),
            Given("b", "b", b0),
            Given("lr", r"\eta", np.asarray(lr)),
        ),
        fields=(
            AnswerField("dW", r"\partial L/\partial W", (1, 3)),
            AnswerField("db", r"\partial L/\partial b", (1,)),
            AnswerField("W_new", r"W \leftarrow W - \eta\,\partial L/\partial W", (1, 3)),
            AnswerField("b_new", r"b \leftarrow b - \eta\,\partial L/\partial b", (1,)),
        ),
        solution={"dW": dw, "db": db, "W_new": weight.data.copy(), "b_new": bias.data.copy()},
        steps=steps,
    )


def _two_layer(v: Mapping[str, Any], mask: bool = True, sign: float = 1.0) -> dict[str, Any]:
    """Forward and backward by hand, with or without the ReLU mask and δ2's sign flipped."""
    x, w1, b1, w2, b2, y = (v[n] for n in ("x", "W1", "b1", "W2", "b2", "y"))
    z1 = w1 @ x + b1
    h = np.maximum(z1, 0)
    y_hat = w2 @ h + b2
    delta2 = sign * (y_hat - y)
    delta1 = (w2.T @ delta2) * ((z1 > 0) if mask else 1.0)
    return {
        "z1": z1,
        "h": h,
        "y_hat": y_hat,
        "delta2": delta2,
        "dW2": np.outer(delta2, h),
        "db2": delta2,
        "delta1": delta1,
        "dW1": np.outer(delta1, x),
        "db1": delta1,
    }


def _pick(answer: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: answer[name] for name in names}


def _dw1_transposed(v: Mapping[str, Any]) -> dict[str, Any]:
    right = _two_layer(v)
    return {"dW1": np.outer(v["x"], right["delta1"])}


TWO_LAYER_MISTAKES = (
    Mistake(
        "missing_relu_mask",
        "forgot the ReLU's mask [z1 > 0] on the way back: δ1 = W2ᵀ δ2",
        lambda v: _pick(_two_layer(v, mask=False), "delta1", "dW1", "db1"),
    ),
    Mistake(
        "error_sign",
        "took δ2 = y − ŷ: every gradient with its sign flipped",
        lambda v: _pick(_two_layer(v, sign=-1.0), "delta2", "dW2", "db2", "delta1", "dW1", "db1"),
    ),
    Mistake("dW1_transposed", "wrote dW1 = x δ1ᵀ instead of δ1 xᵀ", _dw1_transposed),
)


@register(
    "two_layer_by_hand",
    "A 2-2-1 network by hand",
    "Forward and backward through two inputs, two ReLU units and one output: every "
    "intermediate, both deltas and all nine gradients.",
    TWO_LAYER_MISTAKES,
)
def two_layer_by_hand(rng: np.random.Generator, seed: int) -> Exercise:
    """h = relu(W1 x + b1), ŷ = W2 h + b2, L = ½(ŷ − y)²: forward values, deltas, gradients."""
    numbers = Numbers(rng)
    for _ in range(1000):
        x0 = numbers.nonzero_ints((2,), -2, 2)
        w1_0, b1_0 = numbers.ints((2, 2), -2, 2), numbers.ints((2,), -1, 1)
        w2_0, b2_0 = numbers.nonzero_ints((1, 2), -2, 2), numbers.ints((1,), -1, 1)
        y0 = numbers.ints((1,), -2, 2)
        z1_0 = w1_0 @ x0 + b1_0
        error = w2_0 @ np.maximum(z1_0, 0) + b2_0 - y0
        # No pre-activation at exactly 0 (a kink), a unit alive, a small non-zero error.
        if np.all(z1_0 != 0) and np.any(z1_0 > 0) and np.all(z1_0 <= 4) and 0 < abs(error[0]) <= 4:
            break

    w1, b1 = Tensor(w1_0, requires_grad=True), Tensor(b1_0, requires_grad=True)
    w2, b2 = Tensor(w2_0, requires_grad=True), Tensor(b2_0, requires_grad=True)
    z1 = linear(x0, w1, b1).retain_grad()
    h = relu(z1).retain_grad()
    prediction = linear(h, w2, b2).retain_grad()
    loss = (0.5 * (prediction - y0) ** 2).sum()
    loss.backward()
    grads = {"dW1": w1.grad, "db1": b1.grad, "dW2": w2.grad, "db2": b2.grad}
    assert all(g is not None for g in grads.values())
    assert prediction.grad is not None and h.grad is not None and z1.grad is not None
    dw1, db1, dw2, db2 = (np.asarray(grads[name]) for name in ("dW1", "db1", "dW2", "db2"))

    prompt = (
        "A 2-2-1 network takes one example $x \\in \\mathbb{R}^2$ (a column): "
        "$z_1 = W_1 x + b_1$, $h = \\operatorname{ReLU}(z_1)$, $\\hat y = W_2 h + b_2$, "
        "and the loss is $L = \\tfrac12(\\hat y - y)^2$. Run it forward ($z_1$, $h$, "
        "$\\hat y$), then backward: the deltas $\\delta_2 = \\partial L/\\partial \\hat y$ and "
        "$\\delta_1 = \\partial L/\\partial z_1$, and the gradient of $L$ with respect to all "
        "nine parameters: $W_2$ (1×2), $b_2$ (1), $W_1$ (2×2) and $b_1$ (2). "
        "Each intermediate is graded, so you see where the chain breaks."
    )
    steps = (
        Step("z1 = W1 x + b1", z1.data, r"z_1 = W_1 x + b_1"),
        Step("h = ReLU(z1)", h.data, r"h = \max(0, z_1)"),
        Step("ŷ = W2 h + b2", prediction.data, r"\hat y = W_2 h + b_2"),
        Step("L = ½(ŷ − y)²", float(loss.data), r"L = \tfrac12(\hat y - y)^2"),
        Step("δ2 = ∂L/∂ŷ = ŷ − y", prediction.grad, r"\delta_2 = \hat y - y"),
        Step("dW2 = δ2 hᵀ", dw2, r"\partial L/\partial W_2 = \delta_2 h^\top"),
        Step("db2 = δ2", db2, r"\partial L/\partial b_2 = \delta_2"),
        Step("∂L/∂h = W2ᵀ δ2", h.grad, r"\partial L/\partial h = W_2^\top \delta_2"),
        Step("δ1 = ∂L/∂h ⊙ [z1 > 0]", z1.grad, r"\delta_1 = W_2^\top\delta_2 \odot [z_1 > 0]"),
        Step("dW1 = δ1 xᵀ", dw1, r"\partial L/\partial W_1 = \delta_1 x^\top"),
        Step("db1 = δ1", db1, r"\partial L/\partial b_1 = \delta_1"),
    )
    solution = {
        "z1": z1.data,
        "h": h.data,
        "y_hat": prediction.data,
        "delta2": prediction.grad,
        "dW2": dw2,
        "db2": db2,
        "delta1": z1.grad,
        "dW1": dw1,
        "db1": db1,
    }
    return Exercise(
        kind="two_layer_by_hand",
        seed=seed,
        title="A 2-2-1 network by hand",
        prompt=prompt,
        given=(
            Given("x", "x", x0),
            Given("W1", "W_1", w1_0),
            Given("b1", "b_1", b1_0),
            Given("W2", "W_2", w2_0),
            Given("b2", "b_2", b2_0),
            Given("y", "y", y0),
        ),
        fields=(
            AnswerField("z1", r"z_1 = W_1 x + b_1", (2,)),
            AnswerField("h", r"h = \operatorname{ReLU}(z_1)", (2,)),
            AnswerField("y_hat", r"\hat y", (1,)),
            AnswerField("delta2", r"\delta_2 = \partial L/\partial \hat y", (1,)),
            AnswerField("dW2", r"\partial L/\partial W_2", (1, 2)),
            AnswerField("db2", r"\partial L/\partial b_2", (1,)),
            AnswerField("delta1", r"\delta_1 = \partial L/\partial z_1", (2,)),
            AnswerField("dW1", r"\partial L/\partial W_1", (2, 2)),
            AnswerField("db1", r"\partial L/\partial b_1", (2,)),
        ),
        solution={name: np.asarray(g, dtype=np.float64) for name, g in solution.items()},
        steps=steps,
    )
