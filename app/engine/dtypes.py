"""Low precision: float16 as NumPy has it, and bfloat16 emulated on float32 storage.

float16 needs nothing special: every op computes in the dtype of its inputs, so a float16 model
runs forward and backward in float16, and gradients smaller than float16's smallest subnormal
(2**-24 ≈ 6e-8) flush to zero. That is the underflow loss scaling exists for: multiply the loss
by S before backward, so the gradients are S times larger and stay representable, then divide
the float32 master copy of the gradients by S (see `scaled_backward`).

bfloat16 keeps float32's 8 exponent bits but only 7 mantissa bits: the range of float32, the
precision of about 2-3 significant digits. NumPy has no bfloat16, so it is emulated: a bfloat16
value is a float32 whose low 16 bits are zero, rounded to nearest with ties to even (what
PyTorch's float32 -> bfloat16 conversion does). `to_dtype(x, "bfloat16")` rounds once;
inside `with bfloat16():` every op's output and every gradient is rounded the same way, as if
the whole model ran in bfloat16.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from app.engine.state import STATE
from app.engine.tensor import Tensor, Value, make

BFLOAT16 = "bfloat16"


def round_to_bfloat16(array: Any) -> np.ndarray:
    """The nearest bfloat16 of each element (ties to even), as float32 with the low 16 bits zero.

    Adding 0x7FFF plus the lowest kept bit before truncating rounds to nearest, ties to even,
    on the bit pattern; NaN is left alone so its payload cannot carry into the exponent.
    """
    values = np.asarray(array, dtype=np.float32)
    bits = values.view(np.uint32).astype(np.uint64)
    lowest_kept = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lowest_kept) >> 16 << 16).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(values), values, rounded).reshape(values.shape)


def _cast(array: np.ndarray, dtype: Any) -> np.ndarray:
    if dtype == BFLOAT16:
        return round_to_bfloat16(array)
    return array.astype(dtype, copy=False)


def to_dtype(x: Tensor, dtype: Any) -> Tensor:
    """x converted to `dtype` (a NumPy float dtype, or "bfloat16"): a node of the graph.

    As with PyTorch's `.to(dtype)`, the gradient flows back converted to the input's dtype, so a
    float32 master weight used in float16 gets a float32 gradient.
    """
    if dtype != BFLOAT16 and np.dtype(dtype).kind != "f":
        raise ValueError(f"to_dtype: dtype must be a float dtype or 'bfloat16', got {dtype!r}")
    out = _cast(x.data, dtype)
    return make("to_dtype", out, (x,), _to_dtype_vjp, _to_dtype_jvp, x.data.dtype)


def _to_dtype_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    if isinstance(g, Tensor):
        return (to_dtype(g, ctx) if g.dtype != ctx else g,)
    return (g.astype(ctx, copy=False),)


def _to_dtype_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    return ts[0].astype(out.dtype, copy=False)


@contextmanager
def bfloat16() -> Iterator[None]:
    """Round every op's output and every gradient to bfloat16 inside the block."""
    previous, STATE.rounding = STATE.rounding, round_to_bfloat16
    try:
        yield
    finally:
        STATE.rounding = previous


def scaled_backward(loss: Tensor, scale: float) -> None:
    """Backward of loss·scale, then every leaf's .grad divided by scale in float32 or wider.

    The gradients are computed S times larger (so float16 does not flush them to zero) and
    unscaled in a dtype that holds them, as a mixed-precision trainer's GradScaler does.
    """
    if not scale > 0:
        raise ValueError(f"scaled_backward: scale must be > 0, got {scale!r}")
    from app.engine.autograd import topological_order

    leaves = [t for t in topological_order(loss) if t.is_leaf]
    before = {id(t): t.grad for t in leaves}
    (loss * scale).backward()
    for t in leaves:
        if t.grad is None or t.grad is before[id(t)]:
            continue
        wide = np.promote_types(t.grad.dtype, np.float32)
        previous = before[id(t)]
        fresh = t.grad.astype(wide) - (0 if previous is None else previous.astype(wide))
        t.grad = (0 if previous is None else previous.astype(wide)) + fresh / scale
