"""The regularization deck's exercise kinds: each registers on import.

Inverted dropout forward and backward, the L1 and L2 shrinkage of a vector (soft threshold
against a common factor), mixup's soft targets and their cross-entropy gradient, and the
max-norm projection of a weight matrix's rows: small friendly numbers, the engine's solution,
and the classic slip of each rejected on every draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, cross_entropy, relu, softmax, sqrt
from app.exercises.base import AnswerField, Exercise, Given, Mistake, Numbers, register
from app.exercises.softmax import draw_weights
from app.exercises.text import number


# --- inverted dropout ----------------------------------------------------------------------------
def _scaled(v: Mapping[str, Any], scale: float) -> dict[str, np.ndarray]:
    return {"y": v["x"] * v["m"] * scale, "dx": v["g"] * v["m"] * scale}


DROPOUT_MISTAKES = (
    Mistake(
        "no_rescale",
        "kept the survivors as they were: inverted dropout scales them by 1/(1 − p)",
        lambda v: _scaled(v, 1.0),
    ),
    Mistake(
        "scale_by_keep",
        "multiplied by 1 − p instead of dividing by it",
        lambda v: _scaled(v, 1 - float(v["p"])),
    ),
    Mistake(
        "gradient_unmasked",
        "passed g/(1 − p) to every entry: the dropped ones get no gradient",
        lambda v: {"dx": v["g"] / (1 - float(v["p"]))},
    ),
)


@register(
    "dropout_forward_backward",
    "Inverted dropout, forward and backward",
    "Apply a given dropout mask with the 1/(1 − p) scaling, then backpropagate through it.",
    DROPOUT_MISTAKES,
)
def dropout_forward_backward(rng: np.random.Generator, seed: int) -> Exercise:
    """Four entries, a 0/1 mask with at least one of each, p with a short 1/(1 − p)."""
    numbers = Numbers(rng)
    p = numbers.pick([0.2, 0.5, 0.75])
    x0 = numbers.nonzero_ints((4,), -3, 3)
    g = numbers.nonzero_ints((4,), -2, 2)
    mask = rng.permutation(np.array([1.0, 0.0, *list(rng.integers(0, 2, 2).astype(float))]))
    x = Tensor(x0, requires_grad=True)
    y = x * Tensor(mask / (1 - p))  # the mask, scale folded in, as the engine's dropout does
    y.backward(g)
    assert x.grad is not None
    dx = np.asarray(x.grad, dtype=np.float64)
    prompt = (
        f"A dropout layer with $p = {number(p)}$ (PyTorch's convention: $p$ is the probability of "
        "**dropping** an entry) is in training mode. For the input $x$ it drew the mask $m$ "
        "(1 = kept). Compute the output $y$, then, for the upstream gradient "
        "$g = \\partial L/\\partial y$, the gradient $\\partial L/\\partial x$."
    )
    steps = (
        Step("scale of the survivors 1/(1 − p)", 1 / (1 - p), r"1/(1-p)"),
        Step("y = x ⊙ m / (1 − p)", y.data, r"y = \frac{x \odot m}{1-p}"),
        Step(
            "∂L/∂x = g ⊙ m / (1 − p)", dx, r"\frac{\partial L}{\partial x} = \frac{g\odot m}{1-p}"
        ),
    )
    return Exercise(
        kind="dropout_forward_backward",
        seed=seed,
        title="Inverted dropout, forward and backward",
        prompt=prompt,
        given=(
            Given("x", "x", x0),
            Given("m", "m", mask, note="1 = kept, 0 = dropped"),
            Given("p", "p", np.asarray(p), note="drop probability"),
            Given("g", r"g = \partial L/\partial y", g),
        ),
        fields=(AnswerField("y", "y", (4,)), AnswerField("dx", r"\partial L/\partial x", (4,))),
        solution={"y": np.asarray(y.data, dtype=np.float64), "dx": dx},
        steps=steps,
    )


# --- L1 vs L2 shrinkage --------------------------------------------------------------------------
def _soft(a: np.ndarray, lam: float) -> np.ndarray:
    return np.asarray(np.sign(a) * np.maximum(np.abs(a) - lam, 0.0))


SHRINK_MISTAKES = (
    Mistake(
        "l1_shrinks_proportionally",
        "shrank L1 by the factor 1/(1 + λ): that is L2; L1 subtracts λ and stops at 0",
        lambda v: {"w_l1": v["a"] / (1 + float(v["lam"]))},
    ),
    Mistake(
        "no_clamp",
        "subtracted λ·sign(a) without stopping at 0, so small entries flip sign",
        lambda v: {"w_l1": v["a"] - float(v["lam"]) * np.sign(v["a"])},
    ),
    Mistake(
        "l2_as_threshold",
        "soft-thresholded for L2 as well: L2 multiplies every entry by 1/(1 + λ)",
        lambda v: {"w_l2": _soft(v["a"], float(v["lam"]))},
    ),
)


@register(
    "l1_l2_shrinkage",
    "L1 and L2 shrinkage of a vector",
    "Minimise ½‖w − a‖² plus an L1 or an L2 penalty: soft threshold against a common factor.",
    SHRINK_MISTAKES,
)
def l1_l2_shrinkage(rng: np.random.Generator, seed: int) -> Exercise:
    """Five entries in halves; λ = 1 or 3 so 1/(1 + λ) is ½ or ¼."""
    numbers = Numbers(rng)
    lam = numbers.pick([1.0, 3.0])
    a = numbers.halves((5,), -4, 4)
    at = Tensor(a)
    w_l1 = (relu(at - lam) - relu(-at - lam)).data  # sign(a)·max(|a| − λ, 0) with engine ops
    w_l2 = (at * (1 / (1 + lam))).data
    prompt = (
        f"For $a$ below and $\\lambda = {number(lam)}$, find the minimiser of "
        "$\\tfrac12\\lVert w - a\\rVert^2 + \\lambda\\lVert w\\rVert_1$ (call it $w_{L1}$) and of "
        "$\\tfrac12\\lVert w - a\\rVert^2 + \\tfrac{\\lambda}{2}\\lVert w\\rVert_2^2$ "
        "(call it $w_{L2}$), entry by entry."
    )
    steps = (
        Step("L1: soft threshold", w_l1, r"w_{L1} = \operatorname{sign}(a)\max(|a| - \lambda, 0)"),
        Step("L2: one common factor", w_l2, r"w_{L2} = a/(1+\lambda)"),
    )
    return Exercise(
        kind="l1_l2_shrinkage",
        seed=seed,
        title="L1 and L2 shrinkage of a vector",
        prompt=prompt,
        given=(Given("a", "a", a), Given("lam", r"\lambda", np.asarray(lam))),
        fields=(AnswerField("w_l1", "w_{L1}", (5,)), AnswerField("w_l2", "w_{L2}", (5,))),
        solution={"w_l1": np.asarray(w_l1, float), "w_l2": np.asarray(w_l2, float)},
        steps=steps,
    )


# --- mixup ---------------------------------------------------------------------------------------
def _probs(v: Mapping[str, Any]) -> np.ndarray:
    e = np.exp(v["Z"])
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _mixed(v: Mapping[str, Any], lam: float) -> np.ndarray:
    eye = np.eye(v["Z"].shape[1])
    return np.asarray(lam * eye[v["yi"].astype(int)] + (1 - lam) * eye[v["yj"].astype(int)])


MIXUP_MISTAKES = (
    Mistake(
        "lambda_swapped",
        "gave λ to the second example's label: ỹ = λ yᵢ + (1 − λ) yⱼ",
        lambda v: {
            "Y": _mixed(v, 1 - float(v["lam"])),
            "dZ": (_probs(v) - _mixed(v, 1 - float(v["lam"]))) / 2,
        },
    ),
    Mistake(
        "hard_label",
        "kept the first example's one-hot label: mixup mixes the targets too",
        lambda v: {"Y": _mixed(v, 1.0), "dZ": (_probs(v) - _mixed(v, 1.0)) / 2},
    ),
    Mistake(
        "no_mean",
        "forgot the 1/B of the mean: P − ỹ",
        lambda v: {"dZ": _probs(v) - _mixed(v, float(v["lam"]))},
    ),
)


@register(
    "mixup_gradient",
    "Mixup targets and their cross-entropy gradient",
    "Mix two one-hot labels with λ, then the gradient (softmax(Z) − ỹ)/B.",
    MIXUP_MISTAKES,
)
def mixup_gradient(rng: np.random.Generator, seed: int) -> Exercise:
    """Two mixed examples, three classes; logits are logs of small integers."""
    numbers = Numbers(rng)
    lam = numbers.pick([0.2, 0.25, 0.75, 0.8])
    weights = draw_weights(rng, 2)
    z0 = np.log(weights)
    yi = rng.integers(3, size=2)
    yj = (yi + rng.integers(1, 3, size=2)) % 3
    eye = np.eye(3)
    mixed = lam * eye[yi] + (1 - lam) * eye[yj]
    z = Tensor(z0, requires_grad=True)
    cross_entropy(z, mixed).backward()
    assert z.grad is not None
    dz = np.asarray(z.grad, dtype=np.float64)
    rows = ", ".join(f"$(\\ln {int(a)}, \\ln {int(b)}, \\ln {int(c)})$" for a, b, c in weights)
    prompt = (
        f"Mixup with $\\lambda = {number(lam)}$: example $k$ of the batch mixes a pair of inputs "
        "whose classes are $y_i[k]$ and $y_j[k]$ (indices from 0), with the target "
        "$\\tilde y = \\lambda\\, \\mathrm{onehot}(y_i) + (1 - \\lambda)\\, \\mathrm{onehot}(y_j)$."
        f" The model's logits for the two mixed inputs have rows {rows}. The loss is PyTorch's "
        "`cross_entropy(Z, Y)` with the probability targets $Y = \\tilde y$ and `reduction='mean'`."
        " Compute $Y$, then $\\partial L/\\partial Z$."
    )
    steps = (
        Step("Y = λ·onehot(yᵢ) + (1 − λ)·onehot(yⱼ)", mixed),
        Step("P = softmax(Z)", softmax(Tensor(z0), axis=-1).data),
        Step("dZ = (P − Y)/B", dz, r"\partial L/\partial Z = (P - \tilde Y)/B"),
    )
    return Exercise(
        kind="mixup_gradient",
        seed=seed,
        title="Mixup targets and their cross-entropy gradient",
        prompt=prompt,
        given=(
            Given("Z", "Z", z0, note="each entry is the natural log of a small integer"),
            Given("yi", "y_i", yi.astype(np.float64)),
            Given("yj", "y_j", yj.astype(np.float64)),
            Given("lam", r"\lambda", np.asarray(lam)),
        ),
        fields=(
            AnswerField("Y", r"\tilde Y", (2, 3)),
            AnswerField("dZ", r"\partial L/\partial Z", (2, 3)),
        ),
        solution={"Y": np.asarray(mixed, float), "dZ": dz},
        steps=steps,
    )


# --- max-norm projection -------------------------------------------------------------------------
# Rows whose length is a short number: multiples of the 3-4-5 triangle and of the axes.
ROWS = [
    (0.6, 0.8),
    (1.2, 1.6),
    (1.8, 2.4),
    (3.0, 4.0),
    (0.3, 0.4),
    (0.0, 2.0),
    (1.5, 2.0),
    (0.0, 0.5),
]


def _norms(w: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.norm(w, axis=1, keepdims=True))


MAX_NORM_MISTAKES = (
    Mistake(
        "all_rows_scaled",
        "scaled every row to norm c: the rows already inside the ball stay as they are",
        lambda v: {"W_new": v["W"] * float(v["c"]) / _norms(v["W"])},
    ),
    Mistake(
        "entries_clipped",
        "clipped each entry to [−c, c]: the constraint is on each row's length",
        lambda v: {"W_new": np.clip(v["W"], -float(v["c"]), float(v["c"]))},
    ),
    Mistake(
        "whole_matrix",
        "rescaled the whole matrix by its Frobenius norm: the bound is per unit (row)",
        lambda v: {"W_new": v["W"] * min(1.0, float(v["c"]) / float(np.linalg.norm(v["W"])))},
    ),
)


@register(
    "max_norm_projection",
    "Max-norm projection of weight rows",
    "Project each row of W (one unit's incoming weights) into the ball ‖w‖ ≤ c.",
    MAX_NORM_MISTAKES,
)
def max_norm_projection(rng: np.random.Generator, seed: int) -> Exercise:
    """Three rows with short lengths, some inside and some outside the ball."""
    numbers = Numbers(rng)
    c = numbers.pick([1.0, 2.0])
    picks = rng.choice(len(ROWS), 3, replace=False)
    signs = rng.choice([-1.0, 1.0], (3, 2))
    w0 = np.array([ROWS[i] for i in picks]) * signs + 0.0
    w = Tensor(w0)
    lengths = sqrt((w * w).sum(axis=1, keepdims=True)).data
    factors = np.minimum(1.0, c / lengths)
    w_new = (w * Tensor(factors)).data
    prompt = (
        f"A max-norm constraint with $c = {number(c)}$ is applied after an update to "
        "$W \\in \\mathbb{R}^{3\\times 2}$ (PyTorch layout: one row per output unit, holding "
        "that unit's incoming weights). Give $W$ after the projection, each row into "
        "$\\lVert w_j\\rVert_2 \\le c$ (ignore `torch.renorm`'s $10^{-7}$)."
    )
    steps = (
        Step("row lengths ‖w_j‖", lengths[:, 0]),
        Step("factors min(1, c/‖w_j‖)", factors[:, 0]),
        Step("projected W", w_new, r"w_j \leftarrow w_j \min(1, c/\lVert w_j\rVert)"),
    )
    return Exercise(
        kind="max_norm_projection",
        seed=seed,
        title="Max-norm projection of weight rows",
        prompt=prompt,
        given=(Given("W", "W", w0), Given("c", "c", np.asarray(c))),
        fields=(AnswerField("W_new", r"W_\text{new}", (3, 2)),),
        solution={"W_new": np.asarray(w_new, float)},
        steps=steps,
    )
