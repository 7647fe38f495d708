"""Shape ops: reshape, transpose, indexing, broadcasting, joining and splitting, padding, masks.

They move numbers, never add them, so their gradients just move the numbers back: cat's
gradient is split, split's is cat, pad's is a crop, flip's is a flip (indexing and broadcasting
add where one input number reached several outputs). Masks (tril, triu, masked_fill, where)
depend only on positions or on a constant condition, so their rules multiply by that constant.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.engine.tensor import Tensor, Value, lift, make


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


SMALL_BROADCAST = 4096  # elements: below this broadcast_to fills rather than views


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
    if math.prod(shape) <= SMALL_BROADCAST:
        # For small arrays, filling a fresh one costs less than np.broadcast_to's Python-level
        # view construction (a gradient rule's hot path); big ones stay zero-copy views.
        full = np.empty(shape, dtype=x.dtype if isinstance(x, np.ndarray) else np.result_type(x))
        full[...] = x
        return full
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


# --- dims, the way torch counts them -----------------------------------------------------------
def _dim(dim: int, ndim: int, op: str, name: str = "dim") -> int:
    """A possibly negative dim as an index into ndim dims; ValueError when out of range."""
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise ValueError(f"{op}: {name} must be an int, got {dim!r}")
    if not -ndim <= dim < ndim:
        raise ValueError(
            f"{op}: {name}={dim} is out of range for {ndim} dims (expected {-ndim} <= "
            f"{name} < {ndim})"
        )
    return int(dim) % ndim


def _along(axis: int, index: Any) -> tuple:
    """An index that applies `index` to one axis and takes everything on the others."""
    return (slice(None),) * axis + (index,)


def _tensors(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence) or not tensors:
        raise ValueError(f"{op}: tensors must be a non-empty list or tuple of tensors")
    # Constants (arrays, lists) join in the dtype of the first Tensor, so float32 stays float32.
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [lift(t, like) for t in tensors]


# --- cat / stack / split / chunk --------------------------------------------------------------
def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors end to end along an existing dim (torch.cat); all other sizes must match."""
    items = _tensors(tensors, "cat")
    first = items[0]
    if first.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated (use stack)")
    axis = _dim(dim, first.ndim, "cat")
    for i, t in enumerate(items):
        same = t.ndim == first.ndim and all(
            a == b for k, (a, b) in enumerate(zip(t.shape, first.shape, strict=False)) if k != axis
        )
        if not same:
            raise ValueError(
                f"cat: tensors[{i}] has shape {t.shape}, expected {first.ndim} dims matching "
                f"tensors[0]'s shape {first.shape} in every dim but dim {axis}"
            )
    out = np.concatenate([t.data for t in items], axis=axis)
    # Where each input starts and stops along the axis: the rule slices g back at these offsets.
    offsets = np.cumsum([0] + [t.shape[axis] for t in items]).tolist()
    return make("cat", out, tuple(items), cat_vjp, cat_jvp, (axis, offsets))


concat = cat  # torch.concat is an alias of torch.cat


def cat_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of cat: each input gets back its own slice of g."""
    axis, offsets = ctx
    return tuple(
        g[_along(axis, slice(offsets[i], offsets[i + 1]))] if need[i] else None
        for i in range(len(xs))
    )


def cat_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of cat: the tangents are joined the same way."""
    return np.concatenate(ts, axis=ctx[0])


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim (torch.stack); dim may be -ndim-1 .. ndim."""
    items = _tensors(tensors, "stack")
    shape = items[0].shape
    for i, t in enumerate(items):
        if t.shape != shape:
            raise ValueError(f"stack: tensors[{i}] has shape {t.shape}, expected {shape}")
    axis = _dim(dim, len(shape) + 1, "stack")
    out = np.stack([t.data for t in items], axis=axis)
    return make("stack", out, tuple(items), stack_vjp, stack_jvp, axis)


def stack_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of stack: input i gets g's i-th entry along the new dim."""
    return tuple(g[_along(ctx, i)] if need[i] else None for i in range(len(xs)))


def stack_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of stack: the tangents are stacked the same way."""
    return np.stack(ts, axis=ctx)


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Cut x along dim (torch.split): an int gives pieces of that size (the last may be smaller),
    a list gives pieces of those sizes, which must add up to the size of dim.

    Each piece is a slice (getitem), whose gradient puts g back in place; the pieces' gradients
    add up to the gradient of x.
    """
    if x.ndim == 0:
        raise ValueError("split: x must have at least one dim, got a 0-dim tensor")
    axis = _dim(dim, x.ndim, "split")
    size = x.shape[axis]
    if isinstance(split_size_or_sections, int | np.integer):
        step = int(split_size_or_sections)
        if step <= 0 and not (step == 0 and size == 0):
            raise ValueError(
                f"split: split_size_or_sections={step} must be a positive int (or a list)"
            )
        sizes = [min(step, size - start) for start in range(0, size, step)] if size else [0]
    else:
        sizes = [int(n) for n in split_size_or_sections]
        if any(n < 0 for n in sizes) or np.sum(sizes) != size:
            raise ValueError(
                f"split: split_size_or_sections={list(sizes)} must be non-negative sizes adding "
                f"up to {size}, the size of dim {dim}"
            )
    starts = np.cumsum([0, *sizes]).tolist()
    return tuple(
        getitem(x, _along(axis, slice(starts[i], starts[i + 1]))) for i in range(len(sizes))
    )


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Cut x into `chunks` pieces of ceil(size / chunks) along dim (torch.chunk); as in torch
    the last piece may be smaller and there may be fewer than `chunks` pieces."""
    if not isinstance(chunks, int | np.integer) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: x must have at least one dim, got a 0-dim tensor")
    size = x.shape[_dim(dim, x.ndim, "chunk")]
    return split(x, max(-(-size // int(chunks)), 1), dim)


# --- new views: expand / unsqueeze / squeeze / flip -------------------------------------------
def expand(x: Tensor, *sizes: Any) -> Tensor:
    """x broadcast to `sizes` (torch.Tensor.expand): -1 keeps a size, size-1 dims grow, new
    dims may be added in front. A view: the gradient sums over what was repeated."""
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(
            f"expand: sizes {tuple(sizes)} have fewer dims than the tensor's shape {x.shape}"
        )
    shape = []
    for i, n in enumerate(sizes):
        old = x.shape[i - lead] if i >= lead else None
        if n == -1:
            if old is None:
                raise ValueError(f"expand: size -1 is not allowed in a new leading dim ({i})")
            n = old
        if n < 0 or (old is not None and old != 1 and old != n):
            raise ValueError(
                f"expand: cannot expand shape {x.shape} to {tuple(sizes)}: dim {i} has size "
                f"{old}, which only expands when it is 1"
            )
        shape.append(int(n))
    return broadcast_to(x, tuple(shape))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at position dim (-ndim-1 <= dim <= ndim), as torch.unsqueeze."""
    axis = _dim(dim, x.ndim + 1, "unsqueeze")
    shape = (*x.shape[:axis], 1, *x.shape[axis:])
    return make("unsqueeze", x.data.reshape(shape), (x,), _reshape_vjp, _reshape_jvp)


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Drop size-1 dims: all of them, or only those in dim (an int or a tuple); a named dim
    whose size is not 1 is left alone, as torch.squeeze does."""
    if dim is None:
        axes = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        dims = tuple(dim) if isinstance(dim, tuple | list) else (dim,)
        bound = x.ndim if x.ndim else 1  # a 0-dim tensor accepts dim 0 and -1, as in torch
        axes = {_dim(d, bound, "squeeze") for d in dims}
        axes = {a for a in axes if a < x.ndim and x.shape[a] == 1}
    shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return make("squeeze", x.data.reshape(shape), (x,), _reshape_vjp, _reshape_jvp)


def _flip_axes(dims: Any, ndim: int) -> tuple[int, ...]:
    dims = tuple(dims) if isinstance(dims, tuple | list) else (dims,)
    bound = ndim if ndim else 1
    axes = tuple(_dim(d, bound, "flip", "dims") for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"flip: dims={dims!r} names the same dim twice")
    return axes if ndim else ()


def flip(x: Value, dims: Any) -> Value:
    """Reverse the order of elements along dims (an int or a tuple), as torch.flip.

    Takes a Tensor or, for use inside gradient rules, an ndarray.
    """
    axes = _flip_axes(dims, x.ndim)
    if not isinstance(x, Tensor):
        return np.flip(x, axes) if axes else x
    out = np.flip(x.data, axes) if axes else x.data
    return make("flip", out, (x,), flip_vjp, flip_jvp, axes)


def flip_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of flip: flipping is its own inverse and its own adjoint."""
    return (flip(g, ctx),)


def flip_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of flip: the tangent is flipped the same way."""
    return np.flip(ts[0], ctx) if ctx else ts[0]


# --- pad ---------------------------------------------------------------------------------------
def _pad_array(a: np.ndarray, widths: tuple[tuple[int, int], ...], value: float) -> np.ndarray:
    """np.pad with constant `value`, where a negative width crops instead (as torch allows)."""
    crop = tuple(slice(max(-lo, 0), a.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(widths))
    grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths)
    a = a[crop]
    if not any(lo or hi for lo, hi in grow):
        return a.copy()
    return np.pad(a, grow, mode="constant", constant_values=value)


def pad(x: Value, pad: Sequence[int], value: float = 0.0) -> Value:
    """Constant padding, as torch.nn.functional.pad(mode="constant").

    `pad` lists (before, after) counts starting from the LAST dim: (left, right) pads the last
    dim, (left, right, top, bottom) the last two, and so on. Negative counts crop. The gradient
    of padding is the matching crop (pad by minus the counts), and the fill value gets none.
    Takes a Tensor or, inside gradient rules, an ndarray.
    """
    counts = [int(p) for p in pad]
    if len(counts) % 2 or len(counts) // 2 > x.ndim:
        raise ValueError(
            f"pad: pad={tuple(pad)} must hold an even number of counts, at most 2 per dim "
            f"({2 * x.ndim} for this {x.ndim}-dim input)"
        )
    pairs = [(counts[2 * i], counts[2 * i + 1]) for i in range(len(counts) // 2)]
    widths = tuple([(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1])
    for i, (lo, hi) in enumerate(widths):
        if x.shape[i] + lo + hi < 0:
            raise ValueError(
                f"pad: pad={tuple(pad)} would give dim {i} (size {x.shape[i]}) a negative size"
            )
    if not isinstance(x, Tensor):
        return _pad_array(x, widths, value)
    out = _pad_array(x.data, widths, value)
    return make("pad", out, (x,), pad_vjp, pad_jvp, widths)


def _unpad_counts(widths: tuple[tuple[int, int], ...]) -> list[int]:
    """The torch-order pad list that undoes `widths` (negated, last dim first)."""
    return [-c for lo, hi in widths[::-1] for c in (lo, hi)]


def pad_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of pad: crop g back to the input (padding by minus the counts)."""
    return (pad(g, _unpad_counts(ctx), 0.0),)


def pad_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of pad: pad the tangent with zeros (the fill value is a constant)."""
    return _pad_array(ts[0], ctx, 0.0)


# --- masks: tril / triu / masked_fill / where --------------------------------------------------
def _triangle(x: Tensor, diagonal: int, op: str) -> Tensor:
    if x.ndim < 2:
        raise ValueError(f"{op}: x must have at least 2 dims, got shape {x.shape}")
    rows, cols = x.shape[-2:]
    keep = np.tri(rows, cols, int(diagonal), dtype=bool)
    if op == "triu":
        # triu keeps what tril(diagonal - 1) drops.
        keep = ~np.tri(rows, cols, int(diagonal) - 1, dtype=bool)
    mask = keep.astype(x.dtype)
    out = x.data * mask
    return make(op, out, (x,), _mask_vjp, _mask_jvp, mask, flops=out.size, saved=(mask,))


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (j <= i + diagonal), the rest set to 0."""
    return _triangle(x, diagonal, "tril")


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (j >= i + diagonal), the rest set to 0."""
    return _triangle(x, diagonal, "triu")


def _mask_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    # The kept positions pass g through; the zeroed ones get no gradient.
    return (g * ctx,)


def _mask_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    return ts[0] * ctx


def _condition(mask: Any) -> np.ndarray:
    """A boolean array from a bool ndarray, a list, or a Tensor (whose data may be 0/1 floats)."""
    data = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    return data if data.dtype == bool else data != 0


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """x with `value` wherever mask is True (mask broadcasts), as torch.Tensor.masked_fill.

    The filled positions no longer depend on x, so they pass no gradient back to it. value is
    a number or a 0-dim Tensor; a Tensor value gets the sum of g over the filled positions.
    """
    hide = _condition(mask)
    try:
        shape = np.broadcast_shapes(x.shape, hide.shape)
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {hide.shape} does not broadcast with x of shape {x.shape}"
        ) from None
    fill = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=x.dtype))
    if fill.ndim != 0:
        raise ValueError(f"masked_fill: value must be a number or a 0-dim tensor, got {fill.shape}")
    out = np.where(hide, fill.data.astype(x.dtype), x.data)
    if out.shape != shape:
        out = np.broadcast_to(out, shape).copy()
    keep = np.broadcast_to(~hide, shape).astype(x.dtype)
    return make(
        "masked_fill", out, (x, fill), masked_fill_vjp, masked_fill_jvp, keep, out.size, (keep,)
    )


def masked_fill_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of masked_fill: g where x was kept, and the rest to the value."""
    return (
        unbroadcast(g * ctx, xs[0].shape) if need[0] else None,
        (g * (1 - ctx)).sum() if need[1] else None,
    )


def masked_fill_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of masked_fill: the inputs' tangents to the output's tangent."""
    return ts[0] * ctx + ts[1] * (1 - ctx)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where condition is True, else y, all three broadcast together (torch.where).

    Each gradient is g where that input was chosen (0 elsewhere), summed back to its shape.
    x or y may be a number.
    """
    choose = _condition(condition)
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
    if like is None:
        x = Tensor(x)
        like = x
    x = lift(x, like)
    y = lift(y, like)
    try:
        shape = np.broadcast_shapes(choose.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"where: condition {choose.shape}, x {x.shape} and y {y.shape} do not broadcast "
            "together"
        ) from None
    out = np.where(choose, x.data, y.data)
    share = np.broadcast_to(choose, shape).astype(out.dtype)
    return make("where", out, (x, y), where_vjp, where_jvp, share, out.size, (share,))


def where_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of where: the condition routes g to x or to y."""
    return (
        unbroadcast(g * ctx, xs[0].shape) if need[0] else None,
        unbroadcast(g * (1 - ctx), xs[1].shape) if need[1] else None,
    )


def where_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of where: the inputs' tangents to the output's tangent."""
    return ts[0] * ctx + ts[1] * (1 - ctx)
