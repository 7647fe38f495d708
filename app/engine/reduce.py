"""Reductions: sum, mean, max, var/std, logsumexp, cumsum, and the softmax family (stable).

The older reductions take NumPy's `axis`/`keepdims`; every one also accepts PyTorch's
`dim`/`keepdim`, and the newer ones (var, std, logsumexp, cumsum) are written with torch's names.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.engine.pointwise import sqrt
from app.engine.shape import broadcast_to, flip
from app.engine.tensor import Tensor, Value, make


def _torch_names(op: str, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None) -> tuple:
    """Merge torch's dim/keepdim into NumPy's axis/keepdims (either spelling, not both)."""
    if dim is not None:
        if axis is not None:
            raise ValueError(f"{op}: got axis={axis!r} and dim={dim!r}; pass only one of them")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return (tuple(axis) if isinstance(axis, list) else axis), keepdims


def _axes(ndim: int, axis: Any) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim for a in axes)


def _dims(ndim: int, dim: Any, op: str) -> tuple[int, ...]:
    """dim (None, an int, a tuple or list) as sorted non-negative axes, checked as torch does:
    a 0-dim tensor accepts dim 0 and -1."""
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, tuple | list) else (dim,)
    bound = ndim if ndim else 1
    for d in dims:
        if not -bound <= d < bound:
            raise ValueError(
                f"{op}: dim={d} is out of range for a tensor with {ndim} dims "
                f"(expected -{bound} <= dim < {bound})"
            )
    axes = tuple(sorted({d % bound for d in dims})) if ndim else ()
    if len(axes) != len(dims):
        raise ValueError(f"{op}: dim={dim!r} names the same dim twice")
    return axes


def _expand(g: Value, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Value:
    """Put back the reduced axes of g (as size 1) and broadcast to the input's shape."""
    if not keepdims:
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return broadcast_to(g, shape)


def sum(
    x: Tensor,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Sum over axis (all axes by default); dim/keepdim are torch's names for axis/keepdims."""
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_names("sum", axis, keepdims, dim, keepdim)
    out = x.data.sum(axis=axis, keepdims=keepdims)
    ctx = (_axes(x.ndim, axis), keepdims)
    return make("sum", out, (x,), sum_vjp, sum_jvp, ctx, flops=x.size)


def sum_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of sum: the output's gradient g to each input's gradient."""
    return (_expand(g, xs[0].shape, *ctx),)


def sum_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of sum: the inputs' tangents to the output's tangent."""
    return ts[0].sum(axis=ctx[0], keepdims=ctx[1])


def mean(
    x: Tensor,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Mean over axis (all axes by default); dim/keepdim are torch's names for axis/keepdims."""
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_names("mean", axis, keepdims, dim, keepdim)
    axes = _axes(x.ndim, axis)
    count = math.prod([x.shape[a] for a in axes])
    if x.data.dtype == np.float16:
        out = x.data.mean(axis=axis, keepdims=keepdims)  # NumPy accumulates float16 in float32
    else:
        # What ndarray.mean computes (a sum, then a division), without its Python wrapper.
        out = np.true_divide(x.data.sum(axis=axis, keepdims=keepdims), count)
    return make("mean", out, (x,), mean_vjp, mean_jvp, (axes, keepdims, count), flops=x.size)


def mean_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of mean: the output's gradient g to each input's gradient."""
    axes, keepdims, count = ctx
    return (_expand(g / count, xs[0].shape, axes, keepdims),)


def mean_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of mean: the inputs' tangents to the output's tangent."""
    return ts[0].mean(axis=ctx[0], keepdims=ctx[1])


def max(
    x: Tensor,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Maximum over axis; tied maxima share the gradient equally (as torch.amax does)."""
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_names("max", axis, keepdims, dim, keepdim)
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


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def var(x: Tensor, dim: Any = None, *, correction: float = 1, keepdim: bool = False) -> Tensor:
    """Variance over dim (all dims by default): sum((x - mean)**2) / (N - correction).

    correction=1 (the default, as torch.var) is Bessel's unbiased estimate; correction=0 is the
    population variance a normalisation layer uses. With N - correction <= 0 the result is inf
    or nan, as in torch.
    """
    axes = _dims(x.ndim, dim, "var")
    count = int(np.prod([x.shape[a] for a in axes]))
    denominator = count - correction
    dev = x.data - x.data.mean(axis=axes, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (dev * dev).sum(axis=axes, keepdims=keepdim) / (denominator if denominator > 0 else 0)
    ctx = (axes, keepdim, denominator)
    # Three passes over the input: the mean, the deviations, their squares summed.
    return make("var", out, (x,), var_vjp, var_jvp, ctx, flops=3 * x.size, saved=(x.data,))


def var_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of var: d var / dx_i = 2 (x_i - mean) / (N - correction).

    The mean's own dependence on x drops out because the deviations sum to zero. The rule is
    written with x itself (not a stored copy of the deviations), so a second derivative taken
    through it is right.
    """
    axes, keepdim, denominator = ctx
    x = xs[0]
    scale = 2.0 / denominator if denominator > 0 else np.nan
    dev = x - x.mean(axis=axes, keepdims=True)
    return (_expand(g, x.shape, axes, keepdim) * dev * scale,)


def var_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of var: the inputs' tangents to the output's tangent."""
    axes, keepdim, denominator = ctx
    x = xs[0]
    scale = 2.0 / denominator if denominator > 0 else np.nan
    dev = x - x.mean(axis=axes, keepdims=True)
    return (dev * ts[0]).sum(axis=axes, keepdims=keepdim) * scale


def std(x: Tensor, dim: Any = None, *, correction: float = 1, keepdim: bool = False) -> Tensor:
    """Standard deviation over dim: sqrt(var(x, dim, correction=correction)), as torch.std."""
    # A composite: its gradient is var's times d sqrt(v)/dv = 1 / (2 std), with no rule to write.
    return sqrt(var(x, dim, correction=correction, keepdim=keepdim))


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over dim, computed as m + log(sum(exp(x - m))) so exp never overflows.

    m is the maximum over dim, replaced by 0 where it is infinite (a row of -inf gives -inf,
    not nan), as torch.logsumexp does.
    """
    axes = _dims(x.ndim, dim, "logsumexp")
    data = x.data
    top = data.max(axis=axes, keepdims=True) if data.size else np.zeros(_keep_shape(x.shape, axes))
    top = np.where(np.isfinite(top), top, 0.0).astype(data.dtype, copy=False)
    with np.errstate(divide="ignore"):
        kept = top + np.log(np.exp(data - top).sum(axis=axes, keepdims=True))
    out = kept if keepdim else kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    ctx = (axes, keepdim)
    return make("logsumexp", out, (x,), logsumexp_vjp, logsumexp_jvp, ctx, 3 * x.size, (data,))


def logsumexp_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of logsumexp: the gradient is softmax(x) = exp(x - logsumexp(x)).

    exp(x - out) is written with the output itself, so in tensor mode it is differentiable and
    the Hessian (diag(p) - p p^T) comes out of the same rule.
    """
    axes, keepdim = ctx
    x = xs[0]
    kept = out.reshape(_keep_shape(x.shape, axes))
    shifted = x - kept
    probs = shifted.exp() if isinstance(shifted, Tensor) else np.exp(shifted)
    return (_expand(g, x.shape, axes, keepdim) * probs,)


def logsumexp_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of logsumexp: the inputs' tangents to the output's tangent."""
    axes, keepdim = ctx
    probs = np.exp(xs[0] - out.reshape(_keep_shape(xs[0].shape, axes)))
    return (ts[0] * probs).sum(axis=axes, keepdims=keepdim)


def cumsum(x: Tensor, dim: int) -> Tensor:
    """Running sum along dim: out[i] = x[0] + ... + x[i], as torch.cumsum."""
    if isinstance(dim, tuple | list):
        raise ValueError(f"cumsum: dim must be one int, got {dim!r}")
    (axis,) = _dims(x.ndim, dim, "cumsum") or (0,)
    out = np.cumsum(x.data, axis=axis) if x.ndim else x.data.copy()
    return make("cumsum", out, (x,), cumsum_vjp, cumsum_jvp, axis, flops=x.size)


def _cumsum_value(v: Value, axis: int) -> Value:
    if isinstance(v, Tensor):
        return cumsum(v, axis)
    return np.cumsum(v, axis=axis) if v.ndim else v


def cumsum_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of cumsum: x[i] feeds every out[j] with j >= i, so its gradient is
    the running sum of g taken from the end: flip, cumsum, flip back."""
    if xs[0].ndim == 0:
        return (g,)
    return (flip(_cumsum_value(flip(g, ctx), ctx), ctx),)


def cumsum_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of cumsum: cumsum is linear, so the tangent is the cumsum of tangents."""
    return np.cumsum(ts[0], axis=ctx) if ts[0].ndim else ts[0]
