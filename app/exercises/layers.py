"""Backward through one layer: a linear layer (dW, dX or db) and a ReLU (the mask)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, linear, relu
from app.exercises.base import AnswerField, Exercise, Given, Mistake, Numbers, register

LINEAR_TARGETS = {
    "dW": (r"\partial L/\partial W", r"G^\top X", "W"),
    "dX": (r"\partial L/\partial X", r"G\,W", "X"),
    "db": (r"\partial L/\partial b", r"G^\top \mathbf{1}_B", "b"),
}


def _asked(target: str, value: Any) -> Any:
    """The mistake applies only when the draw asks `target`."""
    return lambda v: {target: value(v)} if v["target"] == target else {}


def _g_w_transposed(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
    g, w = v["G"], v["W"]
    # G Wᵀ only multiplies out when W is square; then it has the shape of dX.
    if v["target"] != "dX" or w.shape[0] != w.shape[1]:
        return {}
    return {"dX": g @ w.T}


def _db_over_rows(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
    g = v["G"]
    return {"db": g.sum(axis=1)} if v["target"] == "db" and g.shape[0] == g.shape[1] else {}


LINEAR_MISTAKES = (
    Mistake("dX_G_Wt", "used G Wᵀ for dL/dX instead of G W", _g_w_transposed),
    Mistake(
        "dW_Xt_G",
        "used Xᵀ G for dL/dW instead of Gᵀ X (the transpose)",
        _asked("dW", lambda v: v["X"].T @ v["G"]),
    ),
    Mistake(
        "db_mean",
        "averaged G over the batch instead of summing",
        _asked("db", lambda v: v["G"].mean(axis=0)),
    ),
    Mistake(
        "db_over_rows",
        "summed G along each row (over outputs) instead of down the batch",
        _db_over_rows,
    ),
)


@register(
    "linear_backward",
    "Linear layer backward",
    "Given the upstream gradient of Z = XWᵀ + b, compute dW, dX or db.",
    LINEAR_MISTAKES,
)
def linear_backward(rng: np.random.Generator, seed: int) -> Exercise:
    """Z = X Wᵀ + b with PyTorch's W (out, in); the seed picks which gradient is asked."""
    numbers = Numbers(rng)
    batch, n_in, n_out = int(rng.integers(2, 4)), int(rng.integers(2, 4)), 2
    target = ["dW", "dX", "db"][int(rng.integers(3))]
    x = Tensor(numbers.ints((batch, n_in), -2, 2), requires_grad=True)
    weight = Tensor(numbers.ints((n_out, n_in), -2, 2), requires_grad=True)
    bias = Tensor(numbers.ints((n_out,), -2, 2), requires_grad=True)
    upstream = numbers.nonzero_ints((batch, n_out), -2, 2)
    z = linear(x, weight, bias)
    z.backward(upstream)
    grads = {"dW": weight.grad, "dX": x.grad, "db": bias.grad}
    assert all(g is not None for g in grads.values())
    label, formula, wrt = LINEAR_TARGETS[target]
    solution = np.asarray(grads[target], dtype=np.float64)
    prompt = (
        f"A linear layer maps a batch $X \\in \\mathbb{{R}}^{{{batch}\\times{n_in}}}$ to "
        f"$Z = XW^\\top + \\mathbf{{1}}_B b^\\top$, with "
        f"$W \\in \\mathbb{{R}}^{{{n_out}\\times{n_in}}}$ as in PyTorch's `nn.Linear`. "
        "Backward hands it the upstream gradient "
        "$G = \\partial L/\\partial Z$. "
        f"Compute ${label}$: it has the shape of ${wrt}$."
    )
    steps = (
        Step("Z = XWᵀ + b (forward)", z.data, r"Z = XW^\top + \mathbf{1}_B b^\top"),
        Step("G = ∂L/∂Z (given)", upstream, r"G"),
        Step(f"{target} = {formula_text(target)}", solution, f"{label} = {formula}"),
    )
    return Exercise(
        kind="linear_backward",
        seed=seed,
        title=f"Linear layer backward: {target}",
        prompt=prompt,
        given=(
            Given("X", "X", x.data),
            Given("W", "W", weight.data),
            Given("b", "b", bias.data),
            Given("G", r"G = \partial L/\partial Z", upstream),
        ),
        fields=(AnswerField(target, label, solution.shape),),
        solution={target: solution},
        steps=steps,
        params={"target": target},
    )


def formula_text(target: str) -> str:
    """The formula in plain text, for step labels."""
    return {"dW": "Gᵀ X", "dX": "G W", "db": "column sums of G"}[target]


RELU_MISTAKES = (
    Mistake("mask_forgotten", "passed G straight through, with no mask", lambda v: {"dZ": v["G"]}),
    Mistake(
        "mask_at_zero_one",
        "took the derivative at Z = 0 to be 1: the mask [Z ≥ 0] instead of [Z > 0]",
        lambda v: {"dZ": v["G"] * (v["Z"] >= 0)},
    ),
    Mistake(
        "times_output",
        "multiplied G by the output max(0, Z) instead of by the 0/1 mask",
        lambda v: {"dZ": v["G"] * np.maximum(v["Z"], 0)},
    ),
)


@register(
    "relu_backward",
    "ReLU backward",
    "Mask the upstream gradient with the sign of the pre-activation.",
    RELU_MISTAKES,
)
def relu_backward(rng: np.random.Generator, seed: int) -> Exercise:
    """H = relu(Z); dZ = G ⊙ [Z > 0], with the gradient at exactly 0 taken as 0 (PyTorch)."""
    numbers = Numbers(rng)
    shape = (2, int(rng.integers(3, 5)))
    z = Tensor(numbers.ints(shape, -3, 3), requires_grad=True)
    upstream = numbers.nonzero_ints(shape, -3, 3)
    h = relu(z)
    h.backward(upstream)
    assert z.grad is not None
    solution = np.asarray(z.grad, dtype=np.float64)
    prompt = (
        "A ReLU computes $H = \\max(0, Z)$ elementwise. Backward hands it "
        "$G = \\partial L/\\partial H$. Compute $\\partial L/\\partial Z$. "
        "Where $Z$ is exactly $0$, take the derivative to be $0$, as PyTorch does."
    )
    mask = (z.data > 0).astype(np.float64)
    steps = (
        Step("H = max(0, Z) (forward)", h.data, r"H = \max(0, Z)"),
        Step("mask M = [Z > 0]", mask, r"M_{ij} = [Z_{ij} > 0]"),
        Step("dZ = G ⊙ M", solution, r"\partial L/\partial Z = G \odot M"),
    )
    return Exercise(
        kind="relu_backward",
        seed=seed,
        title="ReLU backward",
        prompt=prompt,
        given=(Given("Z", "Z", z.data), Given("G", r"G = \partial L/\partial H", upstream)),
        fields=(AnswerField("dZ", r"\partial L/\partial Z", shape),),
        solution={"dZ": solution},
        steps=steps,
    )
