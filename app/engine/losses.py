"""Losses, with torch.nn.functional's names, arguments and `reduction` ('mean' | 'sum' | 'none').

Mean squared error is one fused op (its rule written out); the others are short composites of
ops whose rules exist, so each loss's gradient is the chain rule through what it computes:
cross-entropy through log_softmax gives (softmax − onehot)/N, binary cross-entropy with logits
through softplus gives σ(x) − y. Targets are data: gradients flow to the input (and, for
mse_loss, to a target that requires grad).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.pointwise import abs, clamp, log, maximum
from app.engine.reduce import log_softmax
from app.engine.shape import where
from app.engine.tensor import Tensor, Value, make


def mse_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """mean((prediction - target)**2) as a single node ('sum' and 'none' as composites)."""
    if not isinstance(target, Tensor):
        # Targets are data: they take the prediction's dtype rather than promote it.
        target = Tensor(target, dtype=prediction.dtype)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: prediction shape {prediction.shape} != target shape {target.shape}"
        )
    if reduction != "mean":
        _check_reduction("mse_loss", reduction)
        return _reduce((prediction - target) ** 2, reduction)
    diff = prediction.data - target.data
    out = np.asarray(np.vdot(diff, diff) / diff.size, dtype=diff.dtype)
    # The rule recomputes p - t, so it keeps both inputs (not the difference, one array more).
    saved = (prediction.data, target.data)
    return make(
        "mse_loss", out, (prediction, target), mse_vjp, mse_jvp, flops=2 * diff.size, saved=saved
    )


def mse_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of mse: the output's gradient g to each input's gradient."""
    prediction, target = xs
    # d/dp mean((p - t)^2) = 2 (p - t) / n; the difference is recomputed rather than kept.
    scaled = (prediction - target) * (g * (2 / prediction.size))
    return (scaled if need[0] else None, -scaled if need[1] else None)


def mse_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of mse: the inputs' tangents to the output's tangent."""
    diff = xs[0] - xs[1]
    return np.asarray(2 * np.vdot(diff, ts[0] - ts[1]) / diff.size)


REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _target(target: Any, like: Tensor, op: str, shape: tuple[int, ...] | None = None) -> Tensor:
    """A float target as a constant of the input's dtype and shape."""
    data = target.data if isinstance(target, Tensor) else np.asarray(target)
    value = Tensor(data.astype(like.dtype, copy=False))
    expected = like.shape if shape is None else shape
    if value.shape != expected:
        raise ValueError(f"{op}: target shape {value.shape} != input shape {expected}")
    return value


def _class_targets(targets: np.ndarray, logits: Tensor, op: str) -> None:
    if logits.ndim != 2:
        raise ValueError(
            f"{op} with class indices expects input of shape (N, C), got {logits.shape}"
        )
    if targets.shape != logits.shape[:1]:
        raise ValueError(
            f"{op}: targets shape {targets.shape} does not match logits shape "
            f"{logits.shape} (expected {logits.shape[:-1]})"
        )


def _class_weights(weight: Any, classes: int, op: str, like: Tensor) -> np.ndarray | None:
    if weight is None:
        return None
    array = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=like.dtype)
    if array.shape != (classes,):
        raise ValueError(f"{op}: weight must have shape ({classes},), got {array.shape}")
    return array


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """−w[y]·input[i, y] per row, input being log-probabilities (N, C) and y class indices.

    Rows whose target is ignore_index count for nothing, in the value and in the gradient;
    'mean' divides by the summed weight of the rows that count (their number, without weight).
    """
    _check_reduction("nll_loss", reduction)
    targets = np.asarray(target.data if isinstance(target, Tensor) else target)
    if targets.dtype.kind not in "iu":
        raise ValueError(f"nll_loss: target must hold class indices, got dtype {targets.dtype}")
    _class_targets(targets, input, "nll_loss")
    classes = input.shape[1]
    kept = targets != ignore_index
    if ((targets[kept] < 0) | (targets[kept] >= classes)).any():
        raise ValueError(f"nll_loss: target indices must be in [0, {classes}) or ignore_index")
    weights = _class_weights(weight, classes, "nll_loss", input)
    safe = np.where(kept, targets, 0)  # any valid index: the row's weight below is 0
    row_weight = (np.ones(classes, input.dtype) if weights is None else weights)[safe] * kept
    picked = input[np.arange(targets.size), safe]
    losses = -picked * row_weight.astype(input.dtype)
    if reduction == "mean":
        return _counted_mean(losses.sum(), float(row_weight.sum()))
    return _reduce(losses, reduction)


def _counted_mean(total: Tensor, count: float) -> Tensor:
    """total / count for a mean over the rows that count. With none counted (every target
    ignored) the value is 0/0 = NaN, as torch's, and so is its gradient: 0, not a NaN that
    an optimizer step would write into every parameter (torch 2.13 gives the same)."""
    if count == 0:
        return total * 0.0 + float("nan")
    return total / count


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits (N, C) against class indices (N,) or class probabilities (N, C).

    label_smoothing ε mixes the target with the uniform distribution: (1 − ε)·onehot + ε/C. With
    class indices, weights and 'mean', PyTorch divides both the hard and the smoothed part by
    the summed weight of the counted rows; with probability targets 'mean' divides by N.
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    targets = np.asarray(target.data if isinstance(target, Tensor) else target)
    logp = log_softmax(input, axis=-1)
    if targets.dtype.kind in "iu":
        _class_targets(targets, input, "cross_entropy")
        plain = weight is None and label_smoothing == 0 and reduction == "mean"
        if plain and not (targets == ignore_index).any():
            if ((targets < 0) | (targets >= input.shape[1])).any():
                raise ValueError(f"cross_entropy: target indices must be in [0, {input.shape[1]})")
            # Picking log p[i, y_i] with an integer index makes the gradient (p − onehot(y))/N.
            return -logp[np.arange(targets.size), targets].mean()
        hard = nll_loss(logp, targets, weight, ignore_index, reduction)
        if label_smoothing == 0:
            return hard
        classes = input.shape[1]
        weights = _class_weights(weight, classes, "cross_entropy", input)
        kept = (targets != ignore_index).astype(input.dtype)
        spread = logp if weights is None else logp * weights
        smooth = -(spread.sum(axis=1)) * kept  # −Σ_c w_c log p_c, per counted row
        if reduction == "mean":
            safe = np.where(kept > 0, targets, 0)
            denominator = kept.sum() if weights is None else (weights[safe] * kept).sum()
            smooth_total = _counted_mean(smooth.sum(), float(denominator))
        else:
            smooth_total = _reduce(smooth, reduction)
        return (1 - label_smoothing) * hard + smooth_total * (label_smoothing / classes)
    if ignore_index != -100:
        raise ValueError("cross_entropy: ignore_index applies to class-index targets only")
    probabilities = _target(targets, input, "cross_entropy").data
    if label_smoothing:
        probabilities = probabilities * (1 - label_smoothing) + label_smoothing / input.shape[1]
    weights = _class_weights(weight, input.shape[1], "cross_entropy", input)
    if weights is not None:
        probabilities = probabilities * weights
    return _reduce(-(logp * probabilities).sum(axis=-1), reduction)


def _softplus_neg(x: Tensor) -> Tensor:
    """log(1 + e^(−x)) without overflow, with the exact gradient −σ(−x) everywhere."""
    from app.engine.activations import softplus  # activations imports nn, which imports us

    return softplus(-x, threshold=float("inf"))


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """−[p_w·y·log σ(x) + (1 − y)·log(1 − σ(x))], computed from the logits x without overflow.

    Written as (1 − y)·x + (1 + (p_w − 1)·y)·log(1 + e^(−x)): no σ is ever rounded to 0 or 1,
    so x = 1000 with y = 0 costs exactly 1000, and the gradient is σ(x) − y for p_w = 1.
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    y = _target(target, input, "binary_cross_entropy_with_logits")
    log_weight: Any = 1.0
    if pos_weight is not None:
        pw = np.asarray(pos_weight.data if isinstance(pos_weight, Tensor) else pos_weight)
        log_weight = (pw.astype(input.dtype) - 1) * y.data + 1
    loss = (1 - y) * input + _softplus_neg(input) * log_weight
    if weight is not None:
        loss = loss * np.asarray(weight.data if isinstance(weight, Tensor) else weight, input.dtype)
    return _reduce(loss, reduction)


def binary_cross_entropy(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """−[y·log p + (1 − y)·log(1 − p)] for probabilities p, each log clamped at −100 as PyTorch
    does, so p = 0 or 1 gives a large finite loss instead of inf.

    One difference on purpose: where p(1 − p) < 1e-12, torch 2.13's backward divides by 1e-12
    instead (its EPSILON), which damps the gradient through a saturated sigmoid (σ(−30) against
    1 gives −0.094 in float32); this is the exact derivative of the clamped loss (−1 there).
    """
    _check_reduction("binary_cross_entropy", reduction)
    if ((input.data < 0) | (input.data > 1)).any():
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]")
    y = _target(target, input, "binary_cross_entropy")
    # maximum() with a floor below e^-100 keeps log finite where p is exactly 0 or 1, and the
    # clamp then caps each log at -100 as torch does. (float32's smallest normal number would
    # stop the log at -87.3: a saturated σ(30) against 0 would cost 87.3, not torch's 100.)
    floor = np.asarray(np.exp(-101.0), dtype=input.dtype)
    log_p = clamp(log(maximum(input, floor)), min=-100.0)
    log_not_p = clamp(log(maximum(1 - input, floor)), min=-100.0)
    loss = -(y * log_p + (1 - y) * log_not_p)
    if weight is not None:
        loss = loss * np.asarray(weight.data if isinstance(weight, Tensor) else weight, input.dtype)
    return _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """|input − target|, reduced; its gradient is sign(input − target) (0 where they are equal)."""
    _check_reduction("l1_loss", reduction)
    return _reduce(abs(input - _target(target, input, "l1_loss")), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """½d² where |d| < delta, delta·(|d| − ½delta) beyond: quadratic near 0, linear (robust to
    outliers) far out. The gradient is d inside and ±delta outside: clipped, never larger."""
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta!r}")
    d = input - _target(target, input, "huber_loss")
    size = abs(d)
    return _reduce(where(size.data < delta, 0.5 * d * d, delta * (size - 0.5 * delta)), reduction)


def smooth_l1_loss(
    input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """½d²/beta where |d| < beta, |d| − ½beta beyond; huber_loss(delta=beta) = beta·this.
    beta = 0 is the plain L1 loss."""
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta!r}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    d = input - _target(target, input, "smooth_l1_loss")
    size = abs(d)
    return _reduce(where(size.data < beta, 0.5 * d * d / beta, size - 0.5 * beta), reduction)


def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Σ target·(log target − input), input being log-probabilities (PyTorch's convention).

    A zero target contributes 0 (0·log 0 = 0). log_target=True takes the target as
    log-probabilities too. 'batchmean' divides the sum by the batch size and is the
    KL divergence; 'mean' divides by the number of elements, as torch does (and warns about).
    """
    if reduction not in (*REDUCTIONS, "batchmean"):
        raise ValueError(f"kl_div: reduction must be one of {(*REDUCTIONS, 'batchmean')}")
    t = _target(target, input, "kl_div").data
    if log_target:
        pointwise = (input * -1 + t) * np.exp(t)
    else:
        t_log_t = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0).astype(input.dtype)
        pointwise = input * -t + t_log_t
    if reduction == "batchmean":
        return pointwise.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(pointwise, reduction)
