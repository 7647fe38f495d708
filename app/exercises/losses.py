"""The losses deck's exercise kinds: each registers on import.

Every kind asks for a gradient of a PyTorch loss by hand, with logits chosen as logs of small
numbers so that sigmoid and softmax come out as short decimals, and each rejects the classic
slip of that loss: the wrong denominator of 'mean', smoothing spread over the wrong classes, an
unclipped residual.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, sigmoid, softmax
from app.engine import losses as L
from app.exercises.base import AnswerField, Exercise, Given, Mistake, Numbers, register
from app.exercises.softmax import draw_weights, onehot
from app.exercises.text import number

# σ(ln(p/(1 − p))) = p: logits whose sigmoid is a tenth, a fifth or a half.
SIGMOID_VALUES = (0.1, 0.2, 0.5, 0.8, 0.9)
LOGIT_TEX = {0.1: r"\ln\tfrac19", 0.2: r"\ln\tfrac14", 0.5: "0", 0.8: r"\ln 4", 0.9: r"\ln 9"}
# e^z for K = 4 classes: small integers whose sum is 4, 5, 8 or 10, so softmax is short (K = 3
# uses the softmax exercise's table).
WEIGHTS4 = [w for w in itertools.product(range(1, 6), repeat=4) if sum(w) in (4, 5, 8, 10)]
PAD = -100


def _friendly(*arrays: np.ndarray) -> bool:
    """Every entry a multiple of 1/400 (what a person can write exactly)."""
    return all(np.allclose(a * 400, np.round(a * 400), atol=1e-6) for a in arrays)


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _grad(loss_of: Any, z0: np.ndarray) -> np.ndarray:
    z = Tensor(z0, requires_grad=True)
    loss_of(z).backward()
    assert z.grad is not None
    return np.asarray(z.grad, dtype=np.float64)


def _log_rows(weights: np.ndarray) -> str:
    return ", ".join(
        "$(" + ", ".join(f"\\ln {int(w)}" for w in row) + ")$" for row in weights.tolist()
    )


# --- multi-label BCE with logits -----------------------------------------------------------------
def _sig(v: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-v["Z"])))


MULTILABEL_MISTAKES = (
    Mistake(
        "divided_by_batch",
        "averaged over the B examples only; BCE's 'mean' averages over all B·K entries",
        lambda v: {"dZ": (_sig(v) - v["Y"]) / v["Y"].shape[0]},
    ),
    Mistake(
        "softmax_instead",
        "took a softmax over the classes: multi-label outputs are one sigmoid per class",
        lambda v: {"P": _softmax_rows(v["Z"])},
    ),
    Mistake(
        "wrong_sign",
        "wrote Y − σ(Z): the gradient with its sign flipped",
        lambda v: {"dZ": (v["Y"] - _sig(v)) / v["Y"].size},
    ),
)


@register(
    "multilabel_bce_gradient",
    "Multi-label BCE-with-logits gradient",
    "One sigmoid per class and BCE averaged over every entry: (σ(Z) − Y)/(B·K).",
    MULTILABEL_MISTAKES,
)
def multilabel_bce_gradient(rng: np.random.Generator, seed: int) -> Exercise:
    """2 examples × 4 labels, logits ln(p/(1 − p)) so σ is a short decimal; multi-hot targets."""
    batch, classes = 2, 4
    probs = rng.choice(SIGMOID_VALUES, size=(batch, classes))
    z0 = np.log(probs / (1 - probs))
    y = rng.integers(0, 2, size=(batch, classes)).astype(np.float64)
    p = sigmoid(Tensor(z0)).data
    dz = _grad(lambda z: L.binary_cross_entropy_with_logits(z, y), z0)
    rows = ", ".join("$(" + ", ".join(LOGIT_TEX[float(v)] for v in row) + ")$" for row in probs)
    prompt = (
        "A multi-label classifier scores $K = 4$ labels per example, each on its own. Its logits "
        f"$Z \\in \\mathbb{{R}}^{{2\\times 4}}$ have rows {rows}, and the targets $Y$ are "
        "multi-hot (any number of 1s per row). The loss is PyTorch's "
        "`binary_cross_entropy_with_logits(Z, Y)` with its default `reduction='mean'`. "
        "Compute $P = \\sigma(Z)$ and $\\partial L/\\partial Z$."
    )
    steps = (
        Step("P = σ(Z), one sigmoid per entry", p, r"\sigma(z) = 1/(1 + e^{-z})"),
        Step("P − Y", p - y),
        Step("dZ = (P − Y)/(B·K)", dz, r"\partial L/\partial Z = (\sigma(Z) - Y)/(BK)"),
    )
    return Exercise(
        kind="multilabel_bce_gradient",
        seed=seed,
        title="Multi-label BCE-with-logits gradient",
        prompt=prompt,
        given=(
            Given("Z", "Z", z0, note="each entry is ln(p/(1 − p)) for a short decimal p"),
            Given("Y", "Y", y, note="multi-hot targets"),
        ),
        fields=(
            AnswerField("P", r"P = \sigma(Z)", (batch, classes)),
            AnswerField("dZ", r"\partial L/\partial Z", (batch, classes)),
        ),
        solution={"P": np.asarray(p, dtype=np.float64), "dZ": dz},
        steps=steps,
    )


# --- label smoothing -----------------------------------------------------------------------------
def _smoothed(v: Mapping[str, Any], spread_over_others: bool = False) -> np.ndarray:
    eps, k = float(v["epsilon"]), v["Z"].shape[1]
    y = onehot(v)
    if spread_over_others:
        return np.asarray((1 - eps) * y + (1 - y) * eps / (k - 1))
    return np.asarray((1 - eps) * y + eps / k)


SMOOTHING_MISTAKES = (
    Mistake(
        "spread_over_others",
        "spread ε over the K − 1 wrong classes; PyTorch mixes with the uniform over all K",
        lambda v: {"Q": _smoothed(v, True), "dZ": (_softmax_rows(v["Z"]) - _smoothed(v, True)) / 2},
    ),
    Mistake(
        "smoothing_forgotten",
        "used the one-hot target: the gradient (P − Y)/B without smoothing",
        lambda v: {"dZ": (_softmax_rows(v["Z"]) - onehot(v)) / 2},
    ),
    Mistake(
        "no_mean",
        "forgot the 1/B of the mean: P − Q",
        lambda v: {"dZ": _softmax_rows(v["Z"]) - _smoothed(v)},
    ),
)


@register(
    "smoothed_ce_gradient",
    "Label-smoothed cross-entropy gradient",
    "The smoothed target Q = (1 − ε)Y + ε/K and the gradient (P − Q)/B.",
    SMOOTHING_MISTAKES,
)
def smoothed_ce_gradient(rng: np.random.Generator, seed: int) -> Exercise:
    """2 rows of 4 logits, logs of small integers; ε from a short list; class-index targets."""
    batch, classes = 2, 4
    weights = draw_weights(rng, batch, WEIGHTS4)
    targets = rng.integers(classes, size=batch)
    eps = Numbers(rng).pick([0.1, 0.2, 0.4])
    z0 = np.log(weights)
    q = (1 - eps) * np.eye(classes)[targets] + eps / classes
    dz = _grad(lambda z: L.cross_entropy(z, targets, label_smoothing=eps), z0)
    prompt = (
        f"Logits $Z \\in \\mathbb{{R}}^{{2\\times 4}}$ have rows {_log_rows(weights)} and the "
        "targets $y$ are class indices (from 0). The loss is "
        f"`cross_entropy(Z, y, label_smoothing={number(eps)})` with the default "
        "`reduction='mean'`. Give the smoothed target distribution $Q$ PyTorch trains toward, "
        "then $\\partial L/\\partial Z$."
    )
    steps = (
        Step("P = softmax(Z), by rows", softmax(Tensor(z0), axis=-1).data),
        Step("Q = (1 − ε)·onehot(y) + ε/K", q, r"Q = (1-\varepsilon)Y + \varepsilon/K"),
        Step("dZ = (P − Q)/B", dz, r"\partial L/\partial Z = (P - Q)/B"),
    )
    return Exercise(
        kind="smoothed_ce_gradient",
        seed=seed,
        title="Label-smoothed cross-entropy gradient",
        prompt=prompt,
        given=(
            Given("Z", "Z", z0, note="each entry is the natural log of a small integer"),
            Given("y", "y", targets.astype(np.float64), note="class indices, from 0"),
            Given("epsilon", r"\varepsilon", np.asarray(eps)),
        ),
        fields=(
            AnswerField("Q", "Q", (batch, classes)),
            AnswerField("dZ", r"\partial L/\partial Z", (batch, classes)),
        ),
        solution={"Q": q, "dZ": dz},
        steps=steps,
    )


# --- Huber ---------------------------------------------------------------------------------------
def _residual(v: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(v["yhat"] - v["y"])


HUBER_MISTAKES = (
    Mistake(
        "unclipped",
        "used the squared-error gradient 2r/n: Huber clips the residual at ±δ",
        lambda v: {"dyhat": 2 * _residual(v) / _residual(v).size},
    ),
    Mistake(
        "sign_only",
        "used the L1 gradient sign(r)/n everywhere, also inside ±δ",
        lambda v: {"dyhat": np.sign(_residual(v)) / _residual(v).size},
    ),
    Mistake(
        "smooth_l1_scale",
        "used smooth L1's gradient clip(r/β, −1, 1)/n: Huber's is δ times that",
        lambda v: {"dyhat": np.clip(_residual(v) / v["delta"], -1, 1) / _residual(v).size},
    ),
    Mistake(
        "no_mean",
        "forgot the 1/n of the mean",
        lambda v: {"dyhat": np.clip(_residual(v), -v["delta"], v["delta"])},
    ),
)


@register(
    "huber_gradient",
    "Huber loss gradient",
    "The residual clipped to ±δ, over n: quadratic inside, linear (robust) outside.",
    HUBER_MISTAKES,
)
def huber_gradient(rng: np.random.Generator, seed: int) -> Exercise:
    """4 predictions and targets in halves, δ of 0.5 or 2, with residuals on both sides of δ."""
    numbers = Numbers(rng)
    n = 4
    delta = numbers.pick([0.5, 2.0])
    for _ in range(1000):
        yhat, y = numbers.halves((n,), -3, 3), numbers.halves((n,), -3, 3)
        size = np.abs(yhat - y)
        if (size < delta).any() and (size > delta).any():
            break
    grad = _grad(lambda v: L.huber_loss(v, y, delta=delta), yhat)
    prompt = (
        f"Predictions $\\hat y$ and targets $y$ (4 each) go into PyTorch's "
        f"`huber_loss(yhat, y, delta={number(delta)})`, reduction 'mean'. Compute "
        "$\\partial L/\\partial \\hat y$."
    )
    steps = (
        Step("r = ŷ − y", yhat - y),
        Step(
            "clip(r, −δ, δ)", np.clip(yhat - y, -delta, delta), r"\mathrm{clip}(r, -\delta, \delta)"
        ),
        Step("∂L/∂ŷ = clip(r, −δ, δ)/n", grad),
    )
    return Exercise(
        kind="huber_gradient",
        seed=seed,
        title="Huber loss gradient",
        prompt=prompt,
        given=(
            Given("yhat", r"\hat y", yhat),
            Given("y", "y", y),
            Given("delta", r"\delta", np.asarray(delta)),
        ),
        fields=(AnswerField("dyhat", r"\partial L/\partial \hat y", (n,)),),
        solution={"dyhat": grad},
        steps=steps,
    )


# --- class-weighted cross-entropy ----------------------------------------------------------------
def _weighted_parts(v: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p, y = _softmax_rows(v["Z"]), onehot(v)
    row_w = v["w"][v["y"].astype(int)]
    return p - y, row_w, y


WEIGHTED_MISTAKES = (
    Mistake(
        "divided_by_batch",
        "divided the weighted sum by B; PyTorch's weighted 'mean' divides by Σ w[y_i]",
        lambda v: {"dZ": _weighted_parts(v)[1][:, None] * _weighted_parts(v)[0] / len(v["y"])},
    ),
    Mistake(
        "weights_forgotten",
        "left the class weights out: (P − Y)/B",
        lambda v: {"dZ": _weighted_parts(v)[0] / len(v["y"])},
    ),
    Mistake(
        "weights_by_column",
        "scaled each logit's column by its class weight instead of each row by its target's",
        lambda v: {"dZ": v["w"][None, :] * _weighted_parts(v)[0] / _weighted_parts(v)[1].sum()},
    ),
)


@register(
    "weighted_ce_gradient",
    "Class-weighted cross-entropy gradient",
    "Row i scaled by w[y_i], and 'mean' dividing by Σ w[y_i], not by B.",
    WEIGHTED_MISTAKES,
)
def weighted_ce_gradient(rng: np.random.Generator, seed: int) -> Exercise:
    """2 rows of 3 logits (logs of small integers), integer class weights, class indices."""
    batch, classes = 2, 3
    for _ in range(1000):
        weights = draw_weights(rng, batch)
        targets = rng.integers(classes, size=batch)
        w = rng.integers(1, 5, size=classes).astype(np.float64)
        z0 = np.log(weights)
        dz = _grad(lambda z, t=targets, cw=w: L.cross_entropy(z, t, weight=cw), z0)
        if w[targets[0]] != w[targets[1]] and _friendly(dz):
            break
    prompt = (
        f"Logits $Z \\in \\mathbb{{R}}^{{2\\times 3}}$ have rows {_log_rows(weights)}, the "
        "targets $y$ are class indices (from 0) and the class weights are $w$. The loss is "
        "`cross_entropy(Z, y, weight=w)` with the default `reduction='mean'`. Compute "
        "$\\partial L/\\partial Z$."
    )
    row_w = w[targets]
    steps = (
        Step("P = softmax(Z)", softmax(Tensor(z0), axis=-1).data),
        Step("w[y_i], each row's weight", row_w),
        Step("Σ w[y_i], the mean's denominator", float(row_w.sum())),
        Step("dZ = w[y_i](p_i − y_i)/Σ w[y_j]", dz),
    )
    return Exercise(
        kind="weighted_ce_gradient",
        seed=seed,
        title="Class-weighted cross-entropy gradient",
        prompt=prompt,
        given=(
            Given("Z", "Z", z0, note="each entry is the natural log of a small integer"),
            Given("y", "y", targets.astype(np.float64), note="class indices, from 0"),
            Given("w", "w", w, note="one weight per class"),
        ),
        fields=(AnswerField("dZ", r"\partial L/\partial Z", (batch, classes)),),
        solution={"dZ": dz},
        steps=steps,
    )


# --- ignore_index padding ------------------------------------------------------------------------
def _padded_parts(v: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    targets = v["y"].astype(int)
    real = targets != PAD
    y = np.eye(v["Z"].shape[1])[np.where(real, targets, 0)]
    return _softmax_rows(v["Z"]), y, real


PADDED_MISTAKES = (
    Mistake(
        "divided_by_all_rows",
        "divided by every row, padding included; 'mean' counts only the non-ignored targets",
        lambda v: {
            "dZ": (_padded_parts(v)[0] - _padded_parts(v)[1])
            * _padded_parts(v)[2][:, None]
            / len(v["y"])
        },
    ),
    Mistake(
        "padding_as_class_0",
        "scored the padded row as if its target were class 0",
        lambda v: {"dZ": (_padded_parts(v)[0] - _padded_parts(v)[1]) / len(v["y"])},
    ),
    Mistake(
        "no_mean",
        "forgot to divide by the number of real tokens",
        lambda v: {
            "dZ": (_padded_parts(v)[0] - _padded_parts(v)[1]) * _padded_parts(v)[2][:, None]
        },
    ),
)


@register(
    "padded_ce_gradient",
    "Cross-entropy gradient with ignore_index padding",
    "Padded rows get zero gradient; 'mean' divides by the number of real tokens.",
    PADDED_MISTAKES,
)
def padded_ce_gradient(rng: np.random.Generator, seed: int) -> Exercise:
    """3 token rows of 3 logits (logs of small integers), one target replaced by −100."""
    rows, classes = 3, 3
    weights = draw_weights(rng, rows)
    targets = rng.integers(classes, size=rows)
    targets[int(rng.integers(rows))] = PAD
    z0 = np.log(weights)
    dz = _grad(lambda z: L.cross_entropy(z, targets, ignore_index=PAD), z0)
    prompt = (
        f"A batch of 3 token positions has logits with rows {_log_rows(weights)} and targets "
        "$y$, where $-100$ marks padding. The loss is `cross_entropy(Z, y, ignore_index=-100)` "
        "with the default `reduction='mean'`. Compute $\\partial L/\\partial Z$."
    )
    real = targets != PAD
    steps = (
        Step("P = softmax(Z)", softmax(Tensor(z0), axis=-1).data),
        Step("real tokens (1) and padding (0)", real.astype(np.float64)),
        Step("dZ: (p_i − y_i)/N_real on real rows, 0 on padding", dz),
    )
    return Exercise(
        kind="padded_ce_gradient",
        seed=seed,
        title="Cross-entropy gradient with ignore_index padding",
        prompt=prompt,
        given=(
            Given("Z", "Z", z0, note="each entry is the natural log of a small integer"),
            Given("y", "y", targets.astype(np.float64), note="class indices, −100 for padding"),
        ),
        fields=(AnswerField("dZ", r"\partial L/\partial Z", (rows, classes)),),
        solution={"dZ": dz},
        steps=steps,
    )
