"""Softmax + cross-entropy: probabilities, then the gradient (P - Y) / B with respect to logits."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, cross_entropy, softmax
from app.exercises.base import AnswerField, Exercise, Given, Mistake, register

# exp(logits) are small integers whose sum is 4, 5 or 10, so the probabilities are short
# decimals (quarters, fifths, tenths): logits ln(1, 2, 1) give p = (0.25, 0.5, 0.25).
WEIGHTS = [w for w in itertools.product(range(1, 6), repeat=3) if sum(w) in (4, 5, 10)]


def draw_weights(
    rng: np.random.Generator, rows: int, table: Sequence[tuple[int, ...]] = WEIGHTS
) -> np.ndarray:
    """`rows` rows of e^logits drawn from `table` (the logits are their logs): float (rows, K)."""
    return np.array([table[int(i)] for i in rng.integers(len(table), size=rows)], float)


def _probabilities(v: Mapping[str, Any]) -> np.ndarray:
    weights = np.exp(v["Z"])
    return np.asarray(weights / weights.sum(axis=1, keepdims=True))


def onehot(v: Mapping[str, Any]) -> np.ndarray:
    """The one-hot rows of the class indices v['y'], as wide as v['Z']."""
    return np.asarray(np.eye(v["Z"].shape[1])[v["y"].astype(int)])


SOFTMAX_MISTAKES = (
    Mistake(
        "no_mean",
        "forgot the 1/B of the mean: P − Y",
        lambda v: {"dZ": _probabilities(v) - onehot(v)},
    ),
    Mistake(
        "wrong_sign",
        "wrote Y − P: the gradient with its sign flipped",
        lambda v: {"dZ": (onehot(v) - _probabilities(v)) / len(v["y"])},
    ),
    Mistake(
        "softmax_by_columns",
        "normalised e^Z down each column (over the batch) instead of along each row",
        lambda v: {"P": np.exp(v["Z"]) / np.exp(v["Z"]).sum(axis=0, keepdims=True)},
    ),
)


@register(
    "softmax_cross_entropy",
    "Softmax + cross-entropy gradient",
    "The gradient of mean cross-entropy with respect to the logits: (P − Y) / B.",
    SOFTMAX_MISTAKES,
)
def softmax_cross_entropy(rng: np.random.Generator, seed: int) -> Exercise:
    """Two rows of three logits chosen as logs of small integers, and class-index targets."""
    batch, classes = 2, 3
    weights = draw_weights(rng, batch)
    targets = rng.integers(classes, size=batch)
    z0 = np.log(weights)

    logits = Tensor(z0, requires_grad=True)
    probabilities = softmax(Tensor(z0), axis=-1).data
    loss = cross_entropy(logits, targets)
    loss.backward()
    assert logits.grad is not None
    dz = np.asarray(logits.grad, dtype=np.float64)
    onehot = np.eye(classes)[targets]

    rows = ", ".join(
        f"$(\\ln {int(a)}, \\ln {int(b)}, \\ln {int(c)})$" for a, b, c in weights.tolist()
    )
    prompt = (
        "A classifier produced logits "
        f"$Z \\in \\mathbb{{R}}^{{{batch}\\times{classes}}}$ with rows {rows}, "
        "so $e^{Z}$ is a matrix of small integers. The targets $y$ are class indices "
        "(counting from 0) and the loss is the **mean** cross-entropy over the batch, "
        "$L = -\\frac{1}{B}\\sum_i \\log P_{i, y_i}$ "
        "with $P = \\operatorname{softmax}(Z)$ by rows. "
        "Compute $P$, then $\\partial L/\\partial Z$."
    )
    steps = (
        Step("e^Z (each row's weights)", weights, r"e^{Z}"),
        Step(
            "P = softmax(Z), row by row", probabilities, r"P_{ij} = e^{Z_{ij}} / \sum_k e^{Z_{ik}}"
        ),
        Step("Y = one-hot targets", onehot, "Y"),
        Step("L = mean cross-entropy", float(loss.data), r"L = -\tfrac{1}{B}\sum_i \log P_{i,y_i}"),
        Step("dZ = (P − Y) / B", dz, r"\partial L/\partial Z = (P - Y)/B"),
    )
    return Exercise(
        kind="softmax_cross_entropy",
        seed=seed,
        title="Softmax + cross-entropy gradient",
        prompt=prompt,
        given=(
            Given("Z", "Z", z0, note="each entry is the natural log of a small integer"),
            Given("y", "y", targets.astype(np.float64), note="class indices, from 0"),
        ),
        fields=(
            AnswerField("P", r"P = \operatorname{softmax}(Z)", (batch, classes)),
            AnswerField("dZ", r"\partial L/\partial Z", (batch, classes)),
        ),
        solution={"P": np.asarray(probabilities, dtype=np.float64), "dZ": dz},
        steps=steps,
    )
