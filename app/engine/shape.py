"""Shape ops: reshape, transpose, indexing, broadcasting. They move numbers, never add them,
so their gradients just move the numbers back (indexing adds where an index repeats)."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.tensor import Tensor, Value, make


def unbroadcast(g: Value, shape: tuple[int, ...]) -> Value:
    """Sum g over the axes broadcasting added, so it matches an input of `shape`."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if ones:
        g = g.sum(axis=ones, keepdims=True)
    return g


def broadcast_to(x: Value, shape: tuple[int, ...]) -> Value:
    """Broadcast an ndarray or a Tensor to `shape`."""
    if isinstance(x, Tensor):
        return make(
            "broadcast_to",
            np.broadcast_to(x.data, shape),
            (x,),
            _broadcast_vjp,
            lambda t, xs, out, ctx: np.broadcast_to(t[0], out.shape),
        )
    return np.broadcast_to(x, shape)


def _broadcast_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    return (unbroadcast(g, xs[0].shape),)


def reshape(x: Tensor, shape: Any) -> Tensor:
    """Same data, new shape."""
    return make("reshape", x.data.reshape(shape), (x,), _reshape_vjp, _reshape_jvp)


def _reshape_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    return (g.reshape(xs[0].shape),)


def _reshape_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    return ts[0].reshape(out.shape)


def transpose(x: Tensor, axes: tuple[int, ...] | None = None) -> Tensor:
    """Permute axes; reverse them when axes is None (so .T of a matrix is its transpose)."""
    inverse = None if axes is None else tuple(np.argsort(axes))
    return make(
        "transpose", x.data.transpose(axes), (x,), _transpose_vjp, _transpose_jvp, (axes, inverse)
    )


def _transpose_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    return (g.transpose(ctx[1]),)


def _transpose_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    return ts[0].transpose(ctx[0])


def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] for slices, integers and integer arrays."""
    if isinstance(index, Tensor):
        index = index.data.astype(np.intp)
    return make("getitem", x.data[index], (x,), _getitem_vjp, _getitem_jvp, index)


def _getitem_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    return (scatter_add(g, ctx, xs[0].shape),)


def _getitem_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    return ts[0][ctx]


def _is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray | list) for p in parts)


def _scatter(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(index):
        # A repeated integer index was read twice, so its gradient is the sum of both reads.
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


def scatter_add(g: Value, index: Any, shape: tuple[int, ...]) -> Value:
    """Zeros of `shape` with g added at `index` (the adjoint of indexing)."""
    if isinstance(g, Tensor):
        return make(
            "scatter_add",
            _scatter(g.data, index, shape),
            (g,),
            lambda g2, xs, out, ctx, need: (g2[ctx],),
            lambda ts, xs, out, ctx: _scatter(ts[0], ctx, out.shape),
            index,
            flops=g.size,
        )
    return _scatter(g, index, shape)
