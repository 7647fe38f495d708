"""Backward through one layer: a linear layer (dW, dX or db) and a ReLU (the mask)."""

from __future__ import annotations

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, linear, relu
from app.exercises.base import AnswerField, Exercise, Given, Numbers, register

LINEAR_TARGETS = {
    "dW": (r"\partial L/\partial W", r"G^\top X", "W"),
    "dX": (r"\partial L/\partial X", r"G\,W", "X"),
    "db": (r"\partial L/\partial b", r"G^\top \mathbf{1}_B", "b"),
}


@register(
    "linear_backward",
    "Linear layer backward",
    "Given the upstream gradient of Z = XWᵀ + b, compute dW, dX or db.",
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
    )


def formula_text(target: str) -> str:
    """The formula in plain text, for step labels."""
    return {"dW": "Gᵀ X", "dX": "G W", "db": "column sums of G"}[target]


@register(
    "relu_backward",
    "ReLU backward",
    "Mask the upstream gradient with the sign of the pre-activation.",
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
