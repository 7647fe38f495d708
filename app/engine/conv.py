"""Convolution on NCHW tensors, as torch.nn.functional has it (pooling is in pool.py).

A convolution is a matrix product in disguise. Unfolding (im2col) copies each kH×kW window of
the padded input into one column, so with cols = unfold(x) of shape (N, C_in·kH·kW, L), where
L = H_out·W_out positions,

    y = W · cols + b        W reshaped to (C_out, C_in·kH·kW); one product per group

Backward is the same sum read three ways. With B(x, W, g) = <conv2d(x, W), g>, each gradient is
B's partial derivative in one of its arguments:

    dX = conv_transpose2d(g, W) = fold(Wᵀ · g)    fold (col2im) adds each column back into the
                                                  window it came from: the adjoint of unfold
    dW = conv2d_weight(x, g)    = g · colsᵀ       summed over the batch
    db = Σ g over N, H_out, W_out

conv2d, conv_transpose2d and conv2d_weight are three primitives over one geometry, and each one's
rules are written with the other two (the derivatives of a bilinear form are bilinear forms of
the same family), so backward through backward, Hessians and hvp go through a convolution. Each
of the three costs N·C_out·H_out·W_out·(C_in/groups)·kH·kW multiply-adds: one per product w·x in
the forward sum. So a layer's backward costs twice its forward, once for dX and once for dW, and
a first layer, whose input wants no gradient, skips the dX half.

Pooling (pool.py) reads the same windows and gives gradients back with fold.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from app.engine.init import kaiming_uniform_
from app.engine.nn import Module
from app.engine.tensor import Tensor, Value, lift, make

Pair = tuple[int, int]


# --- arguments, the way torch takes them ------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _pair(value: Any, name: str, op: str, minimum: int) -> Pair:
    """An int or a pair of ints (torch's `_pair`), each at least `minimum`."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, tuple | list) and len(value) == 2 and all(map(_is_int, value)):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name}={value!r} must be >= {minimum} in each dim")
    return pair


def _single(value: Any, name: str, op: str, minimum: int) -> int:
    """An int or a 1-tuple of an int (conv1d's arguments)."""
    if isinstance(value, tuple | list) and len(value) == 1:
        value = value[0]
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{op}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _groups(groups: Any, op: str) -> int:
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


class Geometry(NamedTuple):
    """Where the windows lie: kernel, stride, padding, dilation (each (h, w)), the input's
    spatial size and the output's, and the number of channel groups."""

    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    size: Pair  # (H, W) of the input side
    out: Pair  # (H_out, W_out): one window per output position
    groups: int = 1


def output_size(size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Pair:
    """floor((H + 2p − d(k − 1) − 1) / s) + 1 in each dim: how many windows fit."""
    h, w = (
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True)
    )
    return h, w


def _geometry(
    op: str, size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int = 1
) -> Geometry:
    out = output_size(size, kernel, stride, padding, dilation)
    if min(out) < 1:
        raise ValueError(
            f"{op}: the output would be empty ({out[0]}x{out[1]}): an input of {size[0]}x"
            f"{size[1]} with padding={padding} is smaller than the kernel {kernel} at dilation="
            f"{dilation} (needs H + 2·padding >= dilation·(kernel − 1) + 1 in each dim)"
        )
    return Geometry(kernel, stride, padding, dilation, size, out, groups)


# --- windows: unfold (im2col) and its adjoint fold (col2im), on ndarrays -----------------------
def _padded(x: np.ndarray, padding: Pair, fill: float) -> np.ndarray:
    ph, pw = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + 2 * ph, w + 2 * pw), fill, dtype=x.dtype)
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def _windows(x: np.ndarray, geo: Geometry, fill: float = 0.0) -> np.ndarray:
    """Every window of the padded x as a read-only view (N, C, kH, kW, H_out, W_out).

    No copy and no loop: window (i, j)'s element (p, q) is padded x at (i·s + p·d, j·s + q·d),
    so the view just steps through the same memory with strides d (in the kernel) and s (between
    windows).
    """
    xp = _padded(x, geo.padding, fill)
    sn, sc, sh, sw = xp.strides
    (dh, dw), (s_h, s_w) = geo.dilation, geo.stride
    shape = (xp.shape[0], xp.shape[1], *geo.kernel, *geo.out)
    return as_strided(xp, shape, (sn, sc, dh * sh, dw * sw, s_h * sh, s_w * sw), writeable=False)


def _im2col(x: np.ndarray, geo: Geometry, fill: float = 0.0) -> np.ndarray:
    """The windows as columns, (N, C·kH·kW, H_out·W_out): channel-major, then kernel row, then
    kernel column, as torch.nn.functional.unfold orders them. This reshape is the one copy."""
    return _windows(x, geo, fill).reshape(x.shape[0], -1, geo.out[0] * geo.out[1])


def _col2im(blocks: np.ndarray, geo: Geometry) -> np.ndarray:
    """Add each window's values back where they were read from: (N, C, kH, kW, H_out, W_out)
    -> (N, C, H, W). A position covered by several windows receives the sum.

    One strided add per kernel offset (kH·kW of them), each covering every window at once.
    `blocks` may be a broadcast view (average pooling's evenly spread gradient).
    """
    n, c, kh, kw, ho, wo = blocks.shape
    (h, w), (ph, pw) = geo.size, geo.padding
    (dh, dw), (s_h, s_w) = geo.dilation, geo.stride
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=blocks.dtype)
    for p in range(kh):
        rows = slice(p * dh, p * dh + s_h * (ho - 1) + 1, s_h)
        for q in range(kw):
            out[:, :, rows, q * dw : q * dw + s_w * (wo - 1) + 1 : s_w] += blocks[:, :, p, q]
    return out[:, :, ph : ph + h, pw : pw + w] if ph or pw else out


def _blocks(cols: np.ndarray, geo: Geometry) -> np.ndarray:
    n = cols.shape[0]
    return cols.reshape(n, -1, *geo.kernel, *geo.out)


def _unfold(x: Value, geo: Geometry) -> Value:
    """unfold on an ndarray, or as a recorded op on a Tensor (inside gradient rules)."""
    return _unfold_node(x, geo) if isinstance(x, Tensor) else _im2col(x, geo)


def _fold(cols: Value, geo: Geometry) -> Value:
    """fold on an ndarray, or as a recorded op on a Tensor (inside gradient rules)."""
    return _fold_node(cols, geo) if isinstance(cols, Tensor) else _col2im(_blocks(cols, geo), geo)


def _unfold_node(x: Tensor, geo: Geometry) -> Tensor:
    return make("unfold", _im2col(x.data, geo), (x,), unfold_vjp, unfold_jvp, geo)


def unfold_vjp(g: Value, xs: tuple, out: Value, ctx: Geometry, need: tuple) -> tuple:
    """Reverse-mode rule of unfold: fold, which adds every copy's gradient back to its source."""
    return (_fold(g, ctx),)


def unfold_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Geometry) -> np.ndarray:
    """Forward-mode rule of unfold: unfolding is linear, so the tangent is unfolded too."""
    return _im2col(ts[0], ctx)


def _fold_node(cols: Tensor, geo: Geometry) -> Tensor:
    out = _col2im(_blocks(cols.data, geo), geo)
    # One addition per column entry (as scatter_add counts), though most land on zeros.
    return make("fold", out, (cols,), fold_vjp, fold_jvp, geo, flops=cols.size)


def fold_vjp(g: Value, xs: tuple, out: Value, ctx: Geometry, need: tuple) -> tuple:
    """Reverse-mode rule of fold: unfold, which reads each position back into every window."""
    return (_unfold(g, ctx),)


def fold_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Geometry) -> np.ndarray:
    """Forward-mode rule of fold: folding is linear, so the tangent is folded too."""
    return _col2im(_blocks(ts[0], ctx), ctx)


# --- the three products of a convolution, on ndarrays ------------------------------------------
def _grouped(w: np.ndarray, groups: int) -> np.ndarray:
    """(C_out, C_in/groups, kH, kW) -> (groups, C_out/groups, C_in/groups·kH·kW)."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def _conv_array(x: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """y = W · unfold(x), one matrix product per group (batched in one matmul call)."""
    cols = _im2col(x, geo)
    n, g = x.shape[0], geo.groups
    y = _grouped(w, g) @ cols.reshape(n, g, -1, cols.shape[-1])  # (N, groups, C_out/g, L)
    return y.reshape(n, w.shape[0], *geo.out)


def _conv_transpose_array(y: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """fold(Wᵀ · y): each output position's Wᵀ column, added back into its window."""
    n, g = y.shape[0], geo.groups
    wg = _grouped(w, g)
    cols = wg.swapaxes(1, 2) @ y.reshape(n, g, wg.shape[1], -1)  # (N, groups, C_in/g·kH·kW, L)
    return _col2im(cols.reshape(n, -1, *geo.kernel, *geo.out), geo)


def _conv_weight_array(x: np.ndarray, y: np.ndarray, geo: Geometry) -> np.ndarray:
    """Σ over the batch of y · unfold(x)ᵀ, shaped like the weight (C_out, C_in/g, kH, kW)."""
    n, g = x.shape[0], geo.groups
    cols = _im2col(x, geo).reshape(n, g, -1, geo.out[0] * geo.out[1])
    yg = y.reshape(n, g, -1, cols.shape[-1])
    # One small product per example, then a sum: faster here than one long product over the
    # batch, which would first have to copy y and cols into (groups, ·, N·L) order.
    dw = (yg @ cols.swapaxes(-1, -2)).sum(axis=0)
    return dw.reshape(y.shape[1], x.shape[1] // g, *geo.kernel)


def _macs(y_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> int:
    """N·C_out·H_out·W_out·(C_in/groups)·kH·kW: one multiply-add per product w·x."""
    return math.prod(y_shape) * math.prod(w_shape[1:])


# --- ... and as recorded ops, each with its rules ----------------------------------------------
def _conv_node(x: Tensor, w: Tensor, b: Tensor | None, geo: Geometry) -> Tensor:
    out = _conv_array(x.data, w.data, geo)
    flops = _macs(out.shape, w.shape)
    parents: tuple[Tensor, ...] = (x, w)
    if b is not None:
        out += b.data.reshape(1, -1, 1, 1)  # in place: the product is a fresh array
        parents = (x, w, b)
        flops += out.size  # one add per output element, as linear counts its bias
    # Only x and W are kept, as PyTorch does: dW unfolds x again rather than keeping the
    # unfolded copy, kH·kW times the input's size (measured no slower on the benchmark step).
    return make("conv2d", out, parents, conv2d_vjp, conv2d_jvp, geo, flops, (x.data, w.data))


def _conv(x: Value, w: Value, geo: Geometry) -> Value:
    if isinstance(x, Tensor) or isinstance(w, Tensor):
        return _conv_node(lift(x), lift(w), None, geo)
    return _conv_array(x, w, geo)


def conv2d_vjp(g: Value, xs: tuple, out: Value, ctx: Geometry, need: tuple) -> tuple:
    """Reverse-mode rule of conv2d: dX = conv_transpose2d(g, W), dW = conv2d_weight(x, g),
    db = Σ g over N, H_out, W_out; each only when needed."""
    x, w = xs[0], xs[1]
    grads = [
        _conv_transpose(g, w, ctx) if need[0] else None,
        _conv_weight(x, g, ctx) if need[1] else None,
    ]
    if len(xs) == 3:
        grads.append(g.sum(axis=(0, 2, 3)) if need[2] else None)
    return tuple(grads)


def conv2d_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Geometry) -> np.ndarray:
    """Forward-mode rule of conv2d: conv(dx, W) + conv(x, dW) + db (conv is bilinear)."""
    tangent = _conv_array(ts[0], xs[1], ctx) + _conv_array(xs[0], ts[1], ctx)
    return tangent + ts[2].reshape(1, -1, 1, 1) if len(ts) == 3 else tangent


def _conv_transpose_node(y: Tensor, w: Tensor, b: Tensor | None, geo: Geometry) -> Tensor:
    out = _conv_transpose_array(y.data, w.data, geo)
    flops = _macs(y.shape, w.shape)
    parents: tuple[Tensor, ...] = (y, w)
    if b is not None:
        out += b.data.reshape(1, -1, 1, 1)
        parents = (y, w, b)
        flops += out.size
    return make(
        "conv_transpose2d",
        out,
        parents,
        conv_transpose_vjp,
        conv_transpose_jvp,
        geo,
        flops,
        (y.data, w.data),
    )


def _conv_transpose(y: Value, w: Value, geo: Geometry) -> Value:
    if isinstance(y, Tensor) or isinstance(w, Tensor):
        return _conv_transpose_node(lift(y), lift(w), None, geo)
    return _conv_transpose_array(y, w, geo)


def conv_transpose_vjp(g: Value, xs: tuple, out: Value, ctx: Geometry, need: tuple) -> tuple:
    """Reverse-mode rule of conv_transpose2d, the adjoint of conv2d in x: dy = conv2d(g, W),
    dW = conv2d_weight(g, y), db = Σ g."""
    y, w = xs[0], xs[1]
    grads = [
        _conv(g, w, ctx) if need[0] else None,
        _conv_weight(g, y, ctx) if need[1] else None,
    ]
    if len(xs) == 3:
        grads.append(g.sum(axis=(0, 2, 3)) if need[2] else None)
    return tuple(grads)


def conv_transpose_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Geometry) -> np.ndarray:
    """Forward-mode rule of conv_transpose2d: bilinear in (y, W), like conv2d."""
    tangent = _conv_transpose_array(ts[0], xs[1], ctx) + _conv_transpose_array(xs[0], ts[1], ctx)
    return tangent + ts[2].reshape(1, -1, 1, 1) if len(ts) == 3 else tangent


def _conv_weight_node(x: Tensor, y: Tensor, geo: Geometry) -> Tensor:
    out = _conv_weight_array(x.data, y.data, geo)
    flops = _macs(y.shape, out.shape)
    return make(
        "conv2d_weight",
        out,
        (x, y),
        conv_weight_vjp,
        conv_weight_jvp,
        geo,
        flops,
        (x.data, y.data),
    )


def _conv_weight(x: Value, y: Value, geo: Geometry) -> Value:
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        return _conv_weight_node(lift(x), lift(y), geo)
    return _conv_weight_array(x, y, geo)


def conv_weight_vjp(h: Value, xs: tuple, out: Value, ctx: Geometry, need: tuple) -> tuple:
    """Reverse-mode rule of conv2d_weight(x, y): <dW, h> = <conv2d(x, h), y>, so
    dx = conv_transpose2d(y, h) and dy = conv2d(x, h)."""
    x, y = xs
    return (
        _conv_transpose(y, h, ctx) if need[0] else None,
        _conv(x, h, ctx) if need[1] else None,
    )


def conv_weight_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Geometry) -> np.ndarray:
    """Forward-mode rule of conv2d_weight: bilinear in (x, y)."""
    return _conv_weight_array(ts[0], xs[1], ctx) + _conv_weight_array(xs[0], ts[1], ctx)


# --- the functions (torch.nn.functional, torch.nn.grad) ----------------------------------------
def _batched(op: str, value: Any, like: Tensor | None = None, dims: int = 4) -> tuple[Tensor, bool]:
    """value as a batched Tensor with `dims` dims; an unbatched one (dims − 1) gets N = 1."""
    x = lift(value, like)
    if x.ndim == dims - 1:
        return x.reshape((1, *x.shape)), True
    if x.ndim != dims:
        layout = "(N, C, H, W)" if dims == 4 else "(N, C, L)"
        raise ValueError(f"{op}: input must be {layout} or unbatched, got shape {x.shape}")
    return x, False


def _bias(op: str, bias: Any, channels: int, like: Tensor) -> Tensor | None:
    if bias is None:
        return None
    b = lift(bias, like)
    if b.shape != (channels,):
        raise ValueError(
            f"{op}: bias must have shape ({channels},), one per output channel, got {b.shape}"
        )
    return b


def _weight(op: str, weight: Any, layout: str, dims: int = 4) -> Tensor:
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != dims:
        raise ValueError(f"{op}: weight must be {layout}, got shape {w.shape}")
    return w


def _conv_geometry(
    op: str,
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
) -> Geometry:
    """Check a conv2d's input and weight against each other and build its geometry."""
    groups = _groups(groups, op)
    c_in, c_out, c_group = x_shape[1], w_shape[0], w_shape[1]
    if c_out % groups:
        raise ValueError(
            f"{op}: weight has C_out={c_out} output channels, which groups={groups} does not divide"
        )
    if c_group * groups != c_in:
        raise ValueError(
            f"{op}: weight of shape {tuple(w_shape)} expects C_in/groups={c_group} channels per "
            f"group, i.e. C_in={c_group * groups} with groups={groups}, but the input has "
            f"C_in={c_in} (input shape {tuple(x_shape)})"
        )
    return _geometry(
        op,
        (x_shape[2], x_shape[3]),
        (w_shape[2], w_shape[3]),
        _pair(stride, "stride", op, 1),
        _pair(padding, "padding", op, 0),
        _pair(dilation, "dilation", op, 1),
        groups,
    )


def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of (N, C_in, H, W) input with (C_out, C_in/groups, kH, kW) weight
    (torch.nn.functional.conv2d):

        out[n, o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q] · x_pad[n, g·C_in/groups + c,
                                                                 i·s + p·d, j·s + q·d]

    for o in group g. Output (N, C_out, H_out, W_out), H_out = floor((H + 2p − d(kH − 1) − 1)/s)
    + 1. stride, padding (zeros) and dilation are an int or an (h, w) pair; groups splits the
    channels into independent convolutions (groups = C_in: depthwise). Unbatched (C, H, W) input
    gives unbatched output. Cost: N·C_out·H_out·W_out·(C_in/groups)·kH·kW multiply-adds, plus
    one add per output element for the bias.
    """
    w = _weight("conv2d", weight, "(C_out, C_in/groups, kH, kW)")
    x, unbatched = _batched("conv2d", input, w)
    geo = _conv_geometry("conv2d", x.shape, w.shape, stride, padding, dilation, groups)
    out = _conv_node(x, w, _bias("conv2d", bias, w.shape[0], w), geo)
    return out.reshape(out.shape[1:]) if unbatched else out


def conv1d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of (N, C_in, L) input with (C_out, C_in/groups, k) weight
    (torch.nn.functional.conv1d): conv2d on a height-1 image, so its rules are conv2d's."""
    op = "conv1d"
    w = _weight(op, weight, "(C_out, C_in/groups, k)", dims=3)
    x, unbatched = _batched(op, input, w, dims=3)
    s = _single(stride, "stride", op, 1)
    p = _single(padding, "padding", op, 0)
    d = _single(dilation, "dilation", op, 1)
    length = (x.shape[2] + 2 * p - d * (w.shape[2] - 1) - 1) // s + 1
    if length < 1:
        raise ValueError(
            f"{op}: the output would be empty (length {length}): an input of length "
            f"{x.shape[2]} with padding={p} is shorter than the kernel {w.shape[2]} at "
            f"dilation={d}"
        )
    x4 = x.reshape((x.shape[0], x.shape[1], 1, x.shape[2]))
    w4 = w.reshape((w.shape[0], w.shape[1], 1, w.shape[2]))
    out = conv2d(x4, w4, bias, (1, s), (0, p), (1, d), groups)
    out = out.reshape((out.shape[0], out.shape[1], out.shape[3]))
    return out.reshape(out.shape[1:]) if unbatched else out


def conv_transpose2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The adjoint of conv2d in its input (torch.nn.functional.conv_transpose2d), often called
    a "deconvolution": each input pixel adds W times itself into a kH×kW patch of the output.

    weight is (C_in, C_out/groups, kH, kW), torch's layout, which is conv2d's weight for the
    opposite direction, so <conv2d(x, W), y> = <x, conv_transpose2d(y, W)>. Output
    H_out = (H − 1)·s − 2p + d(kH − 1) + output_padding + 1, where output_padding (< stride or
    < dilation) picks among the sizes a strided conv2d maps to the same H.
    """
    op = "conv_transpose2d"
    w = _weight(op, weight, "(C_in, C_out/groups, kH, kW)")
    x, unbatched = _batched(op, input, w)
    groups = _groups(groups, op)
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"{op}: input has C_in={x.shape[1]} channels but weight of shape {w.shape} expects "
            f"{w.shape[0]} (weight is C_in x C_out/groups x kH x kW)"
        )
    if w.shape[0] % groups:
        raise ValueError(f"{op}: groups={groups} must divide the input's C_in={w.shape[0]}")
    kernel = (w.shape[2], w.shape[3])
    s = _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    d = _pair(dilation, "dilation", op, 1)
    extra = _pair(output_padding, "output_padding", op, 0)
    for i in range(2):
        if extra[i] >= max(s[i], d[i]):
            raise ValueError(
                f"{op}: output_padding={output_padding!r} must be smaller than either stride="
                f"{stride!r} or dilation={dilation!r} in each dim"
            )
    size = tuple(
        (x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (kernel[i] - 1) + extra[i] + 1
        for i in range(2)
    )
    if min(size) < 1:
        raise ValueError(
            f"{op}: the output would be empty ({size[0]}x{size[1]}): padding={padding!r} is too "
            f"large for an input of {x.shape[2]}x{x.shape[3]}"
        )
    geo = Geometry(kernel, s, p, d, (size[0], size[1]), (x.shape[2], x.shape[3]), groups)
    b = _bias(op, bias, w.shape[1] * groups, w)
    out = _conv_transpose_node(x, w, b, geo)
    return out.reshape(out.shape[1:]) if unbatched else out


def _size4(op: str, name: str, size: Any) -> tuple[int, int, int, int]:
    size = tuple(size.shape if isinstance(size, Tensor | np.ndarray) else size)
    if len(size) != 4 or not all(map(_is_int, size)):
        raise ValueError(f"{op}: {name} must be 4 ints (N, C, H, W), got {size!r}")
    return size


def _check_grad_output(op: str, g: Tensor, geo: Geometry, n: int, c_out: int) -> None:
    expected = (n, c_out, *geo.out)
    if g.shape != expected:
        raise ValueError(f"{op}: grad_output must have shape {expected}, got {g.shape}")


def conv2d_input(
    input_size: Any,
    weight: Any,
    grad_output: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """The gradient of conv2d with respect to its input (torch.nn.grad.conv2d_input): the
    transposed convolution of grad_output with the weight, sized like the input."""
    op = "conv2d_input"
    w = _weight(op, weight, "(C_out, C_in/groups, kH, kW)")
    size = _size4(op, "input_size", input_size)
    geo = _conv_geometry(op, size, w.shape, stride, padding, dilation, groups)
    g = lift(grad_output, w)
    _check_grad_output(op, g, geo, size[0], w.shape[0])
    return _conv_transpose_node(g, w, None, geo)


def conv2d_weight(
    input: Any,
    weight_size: Any,
    grad_output: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """The gradient of conv2d with respect to its weight (torch.nn.grad.conv2d_weight):
    Σ over the batch of grad_output · unfold(input)ᵀ, shaped (C_out, C_in/groups, kH, kW)."""
    op = "conv2d_weight"
    g = lift(grad_output)
    x = lift(input, g)
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be (N, C, H, W), got shape {x.shape}")
    size = _size4(op, "weight_size", weight_size)
    geo = _conv_geometry(op, x.shape, size, stride, padding, dilation, groups)
    _check_grad_output(op, g, geo, x.shape[0], size[0])
    return _conv_weight_node(x, g, geo)


def unfold(
    input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """im2col (torch.nn.functional.unfold): every kH×kW window of the zero-padded
    (N, C, H, W) input as a column of the (N, C·kH·kW, L) output, L the number of windows."""
    op = "unfold"
    x, unbatched = _batched(op, input)
    geo = _geometry(
        op,
        (x.shape[2], x.shape[3]),
        _pair(kernel_size, "kernel_size", op, 1),
        _pair(stride, "stride", op, 1),
        _pair(padding, "padding", op, 0),
        _pair(dilation, "dilation", op, 1),
    )
    out = _unfold_node(x, geo)
    return out.reshape(out.shape[1:]) if unbatched else out


def fold(
    input: Any,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """col2im (torch.nn.functional.fold), the adjoint of unfold: adds each column of the
    (N, C·kH·kW, L) input back into its window of an (N, C, H, W) output, H, W = output_size.
    Where windows overlap the values add up, so fold(unfold(x)) counts each pixel's windows."""
    op = "fold"
    cols, unbatched = _batched(op, input, dims=3)
    size = _pair(output_size, "output_size", op, 1)
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    geo = _geometry(
        op,
        size,
        kernel,
        _pair(stride, "stride", op, 1),
        _pair(padding, "padding", op, 0),
        _pair(dilation, "dilation", op, 1),
    )
    area = kernel[0] * kernel[1]
    if cols.shape[1] % area:
        raise ValueError(
            f"{op}: input's dim 1 ({cols.shape[1]}) must be divisible by the kernel's "
            f"kH·kW = {area}"
        )
    if cols.shape[2] != geo.out[0] * geo.out[1]:
        raise ValueError(
            f"{op}: input has L={cols.shape[2]} columns but output_size={size} with this kernel, "
            f"stride, padding and dilation has {geo.out[0]}x{geo.out[1]} = "
            f"{geo.out[0] * geo.out[1]} windows"
        )
    out = _fold_node(cols, geo)
    return out.reshape(out.shape[1:]) if unbatched else out


# --- modules (torch.nn) ------------------------------------------------------------------------
def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _conv_parameters(
    shape: tuple[int, ...],
    bias: bool,
    seed: int | np.random.Generator,
    dtype: Any,
) -> tuple[Tensor, Tensor | None]:
    """torch's reset_parameters for convolutions: kaiming_uniform_(a=√5) on the weight, which
    is U(−1/√fan_in, 1/√fan_in) with fan_in = C_in/groups·kH·kW, and the same bound for the
    bias."""
    rng = _rng(seed)
    weight = np.empty(shape, dtype=dtype)
    kaiming_uniform_(weight, a=math.sqrt(5), generator=rng)
    fan_in = math.prod(shape[1:])
    bound = 1 / math.sqrt(fan_in)
    w = Tensor(weight, requires_grad=True, name="weight")
    if not bias:
        return w, None
    b = rng.uniform(-bound, bound, shape[0]).astype(dtype)
    return w, Tensor(b, requires_grad=True, name="bias")


def _check_channels(module: str, in_channels: int, out_channels: int, groups: int) -> int:
    groups = _groups(groups, module)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"{module}: {name} must be a positive int, got {value!r}")
        if value % groups:
            raise ValueError(f"{module}: {name}={value} must be divisible by groups={groups}")
    return groups


class Conv2d(Module):
    """A 2-D convolution layer (torch.nn.Conv2d): weight (out, in/groups, kH, kW), bias (out,),
    both U(−1/√fan_in, 1/√fan_in) as torch initialises them; seeded."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        self.groups = _check_channels("Conv2d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = _pair(stride, "stride", "Conv2d", 1)
        self.padding = _pair(padding, "padding", "Conv2d", 0)
        self.dilation = _pair(dilation, "dilation", "Conv2d", 1)
        shape = (out_channels, in_channels // self.groups, *self.kernel_size)
        self.weight, self.bias = _conv_parameters(shape, bias, seed, dtype)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(Module):
    """A 1-D convolution layer (torch.nn.Conv1d): weight (out, in/groups, k), bias (out,)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        self.groups = _check_channels("Conv1d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _single(kernel_size, "kernel_size", "Conv1d", 1)
        self.stride = _single(stride, "stride", "Conv1d", 1)
        self.padding = _single(padding, "padding", "Conv1d", 0)
        self.dilation = _single(dilation, "dilation", "Conv1d", 1)
        shape = (out_channels, in_channels // self.groups, self.kernel_size)
        self.weight, self.bias = _conv_parameters(shape, bias, seed, dtype)

    def forward(self, x: Tensor) -> Tensor:
        return conv1d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


__all__ = [
    "Conv1d",
    "Conv2d",
    "Geometry",
    "conv1d",
    "conv2d",
    "conv2d_input",
    "conv2d_weight",
    "conv_transpose2d",
    "fold",
    "output_size",
    "unfold",
]
