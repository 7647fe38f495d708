"""Losses: mean squared error (one fused op) and cross-entropy (built from log_softmax)."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.reduce import log_softmax
from app.engine.tensor import Tensor, Value, make


def mse_loss(prediction: Tensor, target: Any) -> Tensor:
    """mean((prediction - target)**2) as a single node."""
    if not isinstance(target, Tensor):
        # Targets are data: they take the prediction's dtype rather than promote it.
        target = Tensor(target, dtype=prediction.dtype)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: prediction shape {prediction.shape} != target shape {target.shape}"
        )
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


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Mean cross-entropy of logits (N, C) against class indices (N,) or probabilities (N, C)."""
    if isinstance(targets, Tensor):
        targets = targets.data
    targets = np.asarray(targets)
    logp = log_softmax(logits, axis=-1)
    if targets.dtype.kind in "iu":
        if targets.shape != logits.shape[:-1]:
            raise ValueError(
                f"cross_entropy: targets shape {targets.shape} does not match logits shape "
                f"{logits.shape} (expected {logits.shape[:-1]})"
            )
        if logits.ndim != 2:
            raise ValueError("cross_entropy with class indices expects logits of shape (N, C)")
        # Picking log p[i, y_i] with an integer index makes the gradient (p - onehot(y)) / N.
        picked = logp[np.arange(targets.size), targets]
        return -picked.mean()
    if targets.shape != logits.shape:
        raise ValueError(
            f"cross_entropy: target probabilities shape {targets.shape} != logits shape "
            f"{logits.shape}"
        )
    return -(logp * targets.astype(logits.dtype, copy=False)).sum(axis=-1).mean()
