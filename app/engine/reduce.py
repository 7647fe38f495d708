"""Reductions: sum, mean, max, and the softmax family (numerically stable)."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.shape import broadcast_to
from app.engine.tensor import Tensor, Value, make


def _axes(ndim: int, axis: Any) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim for a in axes)


def _expand(g: Value, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Value:
    """Put back the reduced axes of g (as size 1) and broadcast to the input's shape."""
    if not keepdims:
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return broadcast_to(g, shape)


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over axis (all axes by default)."""
    out = x.data.sum(axis=axis, keepdims=keepdims)
    ctx = (_axes(x.ndim, axis), keepdims)
    return make("sum", out, (x,), sum_vjp, sum_jvp, ctx, flops=x.size)


def sum_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of sum: the output's gradient g to each input's gradient."""
    return (_expand(g, xs[0].shape, *ctx),)


def sum_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of sum: the inputs' tangents to the output's tangent."""
    return ts[0].sum(axis=ctx[0], keepdims=ctx[1])


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over axis (all axes by default)."""
    axes = _axes(x.ndim, axis)
    count = int(np.prod([x.shape[a] for a in axes]))
    out = x.data.mean(axis=axis, keepdims=keepdims)
    return make("mean", out, (x,), mean_vjp, mean_jvp, (axes, keepdims, count), flops=x.size)


def mean_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of mean: the output's gradient g to each input's gradient."""
    axes, keepdims, count = ctx
    return (_expand(g / count, xs[0].shape, axes, keepdims),)


def mean_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of mean: the inputs' tangents to the output's tangent."""
    return ts[0].mean(axis=ctx[0], keepdims=ctx[1])


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over axis; tied maxima share the gradient equally (as torch.amax does)."""
    axes = _axes(x.ndim, axis)
    top = x.data.max(axis=axes, keepdims=True)
    hits = x.data == top
    share = (hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype, copy=False)
    out = top if keepdims else top.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    ctx = (axes, keepdims, share)
    return make("max", out, (x,), max_vjp, max_jvp, ctx, flops=x.size, saved=(share,))


def max_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of max: the output's gradient g to each input's gradient."""
    axes, keepdims, share = ctx
    return (_expand(g, xs[0].shape, axes, keepdims) * share,)


def max_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of max: the inputs' tangents to the output's tangent."""
    axes, keepdims, share = ctx
    return (ts[0] * share).sum(axis=axes, keepdims=keepdims)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # Subtracting the max first keeps exp() from overflowing; the result is unchanged.
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along axis, computed without overflow."""
    out = np.exp(_log_softmax(x.data, axis))
    flops = 3 * x.size
    return make("softmax", out, (x,), softmax_vjp, softmax_jvp, axis, flops, saved=(out,))


def softmax_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of softmax: the output's gradient g to each input's gradient."""
    return (out * (g - (g * out).sum(axis=ctx, keepdims=True)),)


def softmax_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of softmax: the inputs' tangents to the output's tangent."""
    return out * (ts[0] - (ts[0] * out).sum(axis=ctx, keepdims=True))


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along axis, computed as x - logsumexp(x) so it never takes log(0)."""
    out = _log_softmax(x.data, axis)
    flops = 3 * x.size
    return make("log_softmax", out, (x,), log_softmax_vjp, log_softmax_jvp, axis, flops, (out,))


def log_softmax_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of log_softmax: the output's gradient g to each input's gradient."""
    probs = out.exp() if isinstance(out, Tensor) else np.exp(out)
    return (g - probs * g.sum(axis=ctx, keepdims=True),)


def log_softmax_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of log_softmax: the inputs' tangents to the output's tangent."""
    return ts[0] - (np.exp(out) * ts[0]).sum(axis=ctx, keepdims=True)
