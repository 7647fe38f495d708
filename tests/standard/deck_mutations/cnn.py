"""Deliberate engine bugs for the rules the cnn deck's demos rest on.

Convolution bugs patch conv.py's functions, which every conv node looks up when it runs: the
forward product (_conv_array), the transposed product (_conv_transpose_array), the gradient rule
(conv2d_vjp), the multiply-add count (_macs) and the window count (output_size). Window-count
bugs only ever shrink the count, so the strided window views never reach past the input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import conv, pool
from app.engine.shape import flip
from app.engine.tensor import Tensor
from tests.standard.mutation_kit import (
    SKEW,
    TOUCHED,
    Mutation,
    mark_if_changed,
    replace,
    vjp_mutations,
    wrong_rule,
)


def _changed(make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Any:
    """A replacement that records whether the wrong result differs from the right one."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        wrong = make(original)

        def patched(*args: Any) -> Any:
            return mark_if_changed(original(*args), wrong(*args))

        return patched

    return wrap


def _flipped_kernel(original: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """A true convolution: the kernel rotated by 180° (cross-correlation forgotten)."""
    return lambda x, w, geo: original(x, w[:, :, ::-1, ::-1], geo)


def _skewed(original: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    return lambda *args: original(*args) * SKEW


# --- window counts ----------------------------------------------------------------------------
def _size_bug(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def output_size(size: Any, kernel: Any, stride: Any, padding: Any, dilation: Any) -> Any:
            right = original(size, kernel, stride, padding, dilation)
            if kind == "no_plus_one":
                wrong = tuple(r - 1 for r in right)
            else:  # padding added on one side only
                wrong = tuple(
                    (n + p - d * (k - 1) - 1) // s + 1
                    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True)
                )
            if wrong != right:
                TOUCHED[0] = True
            return wrong

        return output_size

    return make


# --- conv2d's gradient rule -------------------------------------------------------------------
def _dx_kernel_not_rotated(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    """dX as the full convolution with W as it is, not rotated by 180°."""
    grads = list(original(g, xs, out, ctx, need))
    if need[0]:
        w = xs[1]
        rotated = flip(w, (2, 3)) if isinstance(w, Tensor) else w[:, :, ::-1, ::-1]
        grads[0] = conv._conv_transpose(g, rotated, ctx)
    return tuple(grads)


def _dw_mean_over_positions(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    """dW averaged over the output positions instead of summed (weight sharing forgotten)."""
    grads = list(original(g, xs, out, ctx, need))
    if need[1]:
        grads[1] = grads[1] * (1 / (ctx.out[0] * ctx.out[1]))
    return tuple(grads)


def _db_mean(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """db the mean of g over N, H_out, W_out instead of its sum."""
    grads = list(original(g, xs, out, ctx, need))
    if len(xs) == 3 and need[2]:
        grads[2] = grads[2] * (1 / (g.shape[0] * ctx.out[0] * ctx.out[1]))
    return tuple(grads)


# --- multiply-add counts ----------------------------------------------------------------------
def _macs_bug(kind: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    def make(original: Callable[..., int]) -> Callable[..., int]:
        def macs(y_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> int:
            right = original(y_shape, w_shape)
            if kind == "kernel_area":
                wrong = int(np.prod(y_shape)) * int(w_shape[1])
            elif kind == "positions":
                wrong = y_shape[0] * int(np.prod(w_shape))
            else:  # one extra multiply-add per output: the product count off by one
                wrong = right + int(np.prod(y_shape))
            if wrong != right:
                TOUCHED[0] = True
            return wrong

        return macs

    return make


# --- max pooling's gradient -------------------------------------------------------------------
def _windows_of(x: np.ndarray, geo: Any) -> np.ndarray:
    return conv._windows(x, geo, -np.inf)


def _maxpool_spread_evenly(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    """Average pooling's rule: g/(kH·kW) to every cell of the window."""
    if isinstance(g, Tensor):
        return original(g, xs, out, ctx, need)
    geo, _ = ctx
    n, c, ho, wo = g.shape
    share = (g / (geo.kernel[0] * geo.kernel[1])).reshape(n, c, 1, 1, ho, wo)
    return (conv._col2im(np.broadcast_to(share, (n, c, *geo.kernel, ho, wo)), geo),)


def _maxpool_every_tie(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """Every cell equal to the window's maximum gets the whole gradient."""
    if isinstance(g, Tensor):
        return original(g, xs, out, ctx, need)
    geo, _ = ctx
    windows = _windows_of(xs[0], geo)
    hits = windows == np.asarray(out)[:, :, None, None]
    return (conv._col2im(hits * g[:, :, None, None], geo),)


def _maxpool_last_tie(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """Ties broken towards the LAST maximum in row-major order."""
    if isinstance(g, Tensor):
        return original(g, xs, out, ctx, need)
    geo, _ = ctx
    windows = _windows_of(xs[0], geo)
    n, c, kh, kw, ho, wo = windows.shape
    flat = windows.reshape(n, c, kh * kw, ho, wo)
    last = kh * kw - 1 - np.argmax(flat[:, :, ::-1], axis=2)
    return (pool._route(g, last, geo),)


MUTATIONS: list[Mutation] = [
    Mutation(
        "conv2d.forward", "output off by 1e-4", replace(conv, "_conv_array", _changed(_skewed))
    ),
    Mutation(
        "conv2d.forward",
        "kernel rotated: convolution instead of cross-correlation",
        replace(conv, "_conv_array", _changed(_flipped_kernel)),
    ),
    Mutation(
        "conv2d.output_size",
        "the + 1 forgotten: one window short",
        replace(conv, "output_size", _size_bug("no_plus_one")),
    ),
    Mutation(
        "conv2d.output_size",
        "padding counted on one side only",
        replace(conv, "output_size", _size_bug("one_side")),
    ),
    *vjp_mutations("conv2d", conv, "conv2d_vjp", 3),
    Mutation(
        "conv2d.vjp",
        "dX with the kernel not rotated by 180°",
        wrong_rule(conv, "conv2d_vjp", _dx_kernel_not_rotated),
    ),
    Mutation(
        "conv2d.vjp",
        "dW averaged over positions, not summed",
        wrong_rule(conv, "conv2d_vjp", _dw_mean_over_positions),
    ),
    Mutation(
        "conv2d.vjp", "db the mean of g, not its sum", wrong_rule(conv, "conv2d_vjp", _db_mean)
    ),
    Mutation(
        "conv2d.flops", "kernel area k² forgotten", replace(conv, "_macs", _macs_bug("kernel_area"))
    ),
    Mutation(
        "conv2d.flops",
        "output positions forgotten: N·|W| multiply-adds",
        replace(conv, "_macs", _macs_bug("positions")),
    ),
    Mutation(
        "conv2d.flops",
        "one extra multiply-add per output",
        replace(conv, "_macs", _macs_bug("extra")),
    ),
    Mutation(
        "conv_transpose2d.forward",
        "output off by 1e-4",
        replace(conv, "_conv_transpose_array", _changed(_skewed)),
    ),
    Mutation(
        "conv_transpose2d.forward",
        "kernel rotated by 180°",
        replace(conv, "_conv_transpose_array", _changed(_flipped_kernel)),
    ),
    *vjp_mutations("max_pool2d", pool, "max_pool_vjp", 1),
    Mutation(
        "max_pool2d.vjp",
        "gradient spread evenly over the window (average pooling's rule)",
        wrong_rule(pool, "max_pool_vjp", _maxpool_spread_evenly),
    ),
    Mutation(
        "max_pool2d.vjp",
        "every tied maximum gets the whole gradient",
        wrong_rule(pool, "max_pool_vjp", _maxpool_every_tie),
    ),
    Mutation(
        "max_pool2d.vjp",
        "ties go to the last maximum",
        wrong_rule(pool, "max_pool_vjp", _maxpool_last_tie),
    ),
]
