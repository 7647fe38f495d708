"""Pooling on NCHW tensors, as torch.nn.functional has it: max, average and adaptive average.

Pooling reads the same windows a convolution does (conv.py's geometry and unfold), and gives
gradients back to the input with fold, the adjoint of unfold. Max pooling sends each output's
gradient to its window's argmax (the first maximum in scan order, as PyTorch's CPU kernel);
average pooling spreads it evenly over the window; adaptive average pooling is two products with
constant averaging matrices.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.engine.arith import matmul

# The window machinery is conv.py's: one definition of geometry, padding and unfold/fold.
from app.engine.conv import (
    Geometry,
    _batched,
    _col2im,
    _fold,
    _geometry,
    _is_int,
    _pair,
    _windows,
)
from app.engine.nn import Module
from app.engine.shape import broadcast_to
from app.engine.tensor import Tensor, Value, make


# --- the functions (torch.nn.functional) ----------------------------------------------------
def _pool_geometry(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any
) -> Geometry:
    if ceil_mode:
        raise ValueError(f"{op}: ceil_mode=True is not supported; only the default floor mode")
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    # torch's default stride is the kernel size: windows tile the input without overlap.
    steps = kernel if stride is None or stride == [] else _pair(stride, "stride", op, 1)
    pad = _pair(padding, "padding", op, 0)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(
            f"{op}: padding={padding!r} must be at most half of kernel_size={kernel_size!r} "
            "(padding <= kernel_size // 2 in each dim), as torch requires"
        )
    dil = _pair(dilation, "dilation", op, 1)
    return _geometry(op, (x.shape[2], x.shape[3]), kernel, steps, pad, dil)


def _window_cells(windows: np.ndarray) -> list[np.ndarray]:
    """The kH·kW strided views (N, C, H_out, W_out), one per kernel offset, in row-major order."""
    kh, kw = windows.shape[2:4]
    return [windows[:, :, p, q] for p in range(kh) for q in range(kw)]


def _max_and_argmax(windows: np.ndarray, geo: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Each window's maximum, and which of its kH·kW elements torch would say holds it.

    torch's CPU kernel scans a window row by row and takes a value only when it is strictly
    greater than the best so far (`val > maxval || isnan(val)`), so among tied maxima the FIRST
    in row-major order wins. Here: the running maximum over the kernel offsets, then the first
    offset whose value equals it. Elementwise passes over strided views, no Python loop over
    pixels (np.argmax along an axis is several times slower). Two corner cases follow torch
    too: a window whose real cells are all -inf picks its first real cell (not a padding
    cell), and a window holding NaN picks its last NaN and outputs NaN. A dilated window can
    miss the input altogether (lie wholly in the padding): it outputs -inf and passes no
    gradient, as in torch (whose index for it is meaningless, and so is ours).
    """
    cells = _window_cells(windows)
    best = cells[0].copy()
    for cell in cells[1:]:
        np.maximum(best, cell, out=best)
    arg = np.zeros(best.shape, dtype=np.uint8 if len(cells) <= 256 else np.intp)
    found = cells[0] == best
    for cell in cells[1:]:
        arg += ~found  # one more step for every window whose max is still ahead
        found |= cell == best
    if geo.padding != (0, 0):
        lost = np.isneginf(best)
        if lost.any():
            ones = np.ones((1, 1, *geo.size))
            real = _windows(ones, geo, 0.0).reshape(1, 1, -1, *geo.out)
            arg = np.where(lost, real.argmax(axis=2), arg)
    nan = np.isnan(best)
    if nan.any():
        flat = windows.reshape(*windows.shape[:2], -1, *geo.out)
        last = flat.shape[2] - 1 - np.isnan(flat[:, :, ::-1]).argmax(axis=2)
        arg = np.where(nan, last, arg)
    return best, arg


def max_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each kH×kW window (torch.nn.functional.max_pool2d); padding is -inf.

    The gradient goes to the window's argmax only (the max is locally a pick of one element);
    among tied maxima, to the first in row-major order within the window, as torch does. An
    input pixel that is the max of several overlapping windows receives all their gradients.
    With return_indices=True also returns, for each output, the flat index h·W + w of its
    argmax in the input plane (torch's format).
    """
    op = "max_pool2d"
    x, unbatched = _batched(op, input)
    geo = _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    windows = _windows(x.data, geo, -np.inf)
    out, arg = _max_and_argmax(windows, geo)
    # One comparison per window element, as a max reduction counts one per input element.
    flops = windows.size
    node = make("max_pool2d", out, (x,), max_pool_vjp, max_pool_jvp, (geo, arg), flops, (arg,))
    result = node.reshape(node.shape[1:]) if unbatched else node
    if not return_indices:
        return result
    kw = geo.kernel[1]
    rows = np.arange(geo.out[0])[:, None] * geo.stride[0] - geo.padding[0]
    cols = np.arange(geo.out[1])[None, :] * geo.stride[1] - geo.padding[1]
    h = rows + (arg // kw) * geo.dilation[0]
    w = cols + (arg % kw) * geo.dilation[1]
    indices = (h * geo.size[1] + w).astype(np.int64)
    return result, Tensor(indices[0] if unbatched else indices, dtype=np.int64)


def _route(g: Value, arg: np.ndarray, geo: Geometry) -> Value:
    """g placed at each window's argmax, the rest of the window zero, added back onto the input.

    Which element won depends on x, but its derivative is zero almost everywhere (as relu's
    mask), so the choice is a constant even when the rule runs on Tensors.
    """
    n, c, ho, wo = arg.shape
    k = geo.kernel[0] * geo.kernel[1]
    if isinstance(g, Tensor):
        onehot = arg[:, :, None] == np.arange(k).reshape(1, 1, k, 1, 1)
        routed = g.reshape((n, c, 1, ho, wo)) * onehot
        return _fold(routed.reshape((n, c * k, ho * wo)), geo)
    # The fast path is fold written out, one strided pass per kernel offset, without building
    # the (N, C, kH·kW, H_out, W_out) one-hot. When windows do not overlap (the usual pooling,
    # stride = kernel) every input cell is written at most once, so each pass writes its
    # product straight into place instead of adding it.
    (h, w), (ph, pw) = geo.size, geo.padding
    (dh, dw), (s_h, s_w) = geo.dilation, geo.stride
    (kh, kw) = geo.kernel
    disjoint = s_h >= dh * (kh - 1) + 1 and s_w >= dw * (kw - 1) + 1
    tiled = (
        disjoint and (h, w) == (ho * s_h, wo * s_w) and geo.stride == geo.kernel and not (ph or pw)
    )
    shape = (n, c, h + 2 * ph, w + 2 * pw)
    out = np.empty(shape, dtype=g.dtype) if tiled else np.zeros(shape, dtype=g.dtype)
    for offset in range(k):
        p, q = divmod(offset, kw)
        rows = slice(p * dh, p * dh + s_h * (ho - 1) + 1, s_h)
        cells = out[:, :, rows, q * dw : q * dw + s_w * (wo - 1) + 1 : s_w]
        if disjoint:
            np.multiply(g, arg == offset, out=cells)
        else:
            cells += g * (arg == offset)
    return out[:, :, ph : ph + h, pw : pw + w] if ph or pw else out


def max_pool_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of max_pool2d: each output's gradient to its window's argmax."""
    geo, arg = ctx
    return (_route(g, arg, geo),)


def max_pool_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of max_pool2d: the tangent of the element that won."""
    geo, arg = ctx
    tangent = np.zeros(arg.shape, dtype=ts[0].dtype)
    for offset, cell in enumerate(_window_cells(_windows(ts[0], geo, 0.0))):
        tangent += cell * (arg == offset)
    return tangent


def _divisor(geo: Geometry, count_include_pad: bool, divisor_override: Any, dtype: Any) -> Any:
    """What each window's sum is divided by: kH·kW, or (count_include_pad=False) the number of
    real input cells it covers, or divisor_override."""
    if divisor_override is not None:
        if not _is_int(divisor_override) or divisor_override == 0:
            raise ValueError(
                f"avg_pool2d: divisor_override must be a non-zero int, got {divisor_override!r}"
            )
        return float(divisor_override)
    if count_include_pad or geo.padding == (0, 0):
        return float(geo.kernel[0] * geo.kernel[1])
    real = _windows(np.ones((1, 1, *geo.size), dtype=dtype), geo, 0.0)
    return real.sum(axis=(2, 3))[0, 0]  # (H_out, W_out): fewer cells at the borders


def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: Any = None,
) -> Tensor:
    """The mean of each kH×kW window (torch.nn.functional.avg_pool2d), padding with zeros.

    count_include_pad=True (the default) divides by kH·kW even where the window hangs over the
    padding; False divides by the number of real cells. The gradient spreads each output's
    gradient evenly (divided the same way) over its window.
    """
    op = "avg_pool2d"
    x, unbatched = _batched(op, input)
    geo = _pool_geometry(op, x, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _divisor(geo, count_include_pad, divisor_override, x.dtype)
    windows = _windows(x.data, geo, 0.0)
    out = windows.sum(axis=(2, 3)) / divisor
    node = make("avg_pool2d", out, (x,), avg_pool_vjp, avg_pool_jvp, (geo, divisor), windows.size)
    return node.reshape(node.shape[1:]) if unbatched else node


def avg_pool_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of avg_pool2d: g / divisor to every cell of the window."""
    geo, divisor = ctx
    n, c, ho, wo = out.shape
    share = (g / divisor).reshape((n, c, 1, 1, ho, wo))
    if not isinstance(share, Tensor):
        return (_col2im(np.broadcast_to(share, (n, c, *geo.kernel, ho, wo)), geo),)
    spread = broadcast_to(share, (n, c, *geo.kernel, ho, wo))
    return (_fold(spread.reshape((n, -1, ho * wo)), geo),)


def avg_pool_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of avg_pool2d: average pooling is linear, so it pools the tangent."""
    geo, divisor = ctx
    return _windows(ts[0], geo, 0.0).sum(axis=(2, 3)) / divisor


def _adaptive_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    """(out, size): row i averages cells floor(i·size/out) .. ceil((i+1)·size/out) − 1, torch's
    start and end indices (windows may overlap by one when out does not divide size)."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (torch.nn.functional.adaptive_avg_pool2d); an int
    or (h, w), None keeping that input size. Output 1×1 is global average pooling, the mean
    over H and W.

    Any size is a fixed linear map that separates into rows and columns, out = A_h · x · A_wᵀ
    with averaging matrices A, so it is written as two matmuls and needs no rules of its own.
    """
    op = "adaptive_avg_pool2d"
    x, unbatched = _batched(op, input)
    sizes = tuple(output_size) if isinstance(output_size, tuple | list) else (output_size,) * 2
    if len(sizes) != 2 or not all(s is None or (_is_int(s) and s >= 1) for s in sizes):
        raise ValueError(
            f"{op}: output_size must be a positive int or a pair of them (or None), got "
            f"{output_size!r}"
        )
    h, w = (x.shape[2 + i] if s is None else int(s) for i, s in enumerate(sizes))
    if (h, w) == (1, 1):
        out = x.mean(axis=(2, 3), keepdims=True)
    else:
        rows = _adaptive_matrix(x.shape[2], h, x.dtype)
        cols = _adaptive_matrix(x.shape[3], w, x.dtype)
        out = matmul(rows, matmul(x, cols.T))
    return out.reshape(out.shape[1:]) if unbatched else out


class MaxPool2d(Module):
    """torch.nn.MaxPool2d: max_pool2d with these settings."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x: Tensor) -> Any:
        return max_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class AvgPool2d(Module):
    """torch.nn.AvgPool2d: avg_pool2d with these settings."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: Any = None,
    ) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AdaptiveAvgPool2d(Module):
    """torch.nn.AdaptiveAvgPool2d: average pooling to output_size (1 = global average)."""

    def __init__(self, output_size: Any) -> None:
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size)


class Flatten(Module):
    """torch.nn.Flatten: merge dims start_dim..end_dim into one (by default all but the batch)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        ndim = max(x.ndim, 1)
        start, end = self.start_dim, self.end_dim
        if not (-ndim <= start < ndim and -ndim <= end < ndim):
            raise ValueError(
                f"Flatten: start_dim={start} and end_dim={end} must be in [-{ndim}, {ndim}) for "
                f"a {x.ndim}-dim input"
            )
        start, end = start % ndim, end % ndim
        if start > end:
            raise ValueError(
                f"Flatten: start_dim={self.start_dim} comes after end_dim={self.end_dim}"
            )
        shape = x.shape or (1,)
        merged = math.prod(shape[start : end + 1])
        return x.reshape((*shape[:start], merged, *shape[end + 1 :]))


__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "Flatten",
    "MaxPool2d",
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "max_pool2d",
]
