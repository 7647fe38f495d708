"""Deliberate engine bugs for the rules the training-at-scale deck's demos rest on.

Low-precision bugs patch app/engine/dtypes.py: the cast's gradient rule (_to_dtype_vjp, looked
up when a to_dtype node runs backward), the bfloat16 rounding (round_to_bfloat16, read by every
cast and by the bfloat16() block) and scaled_backward. The gradient-check bugs replace
gradcheck.central_difference, the quotient gradcheck looks up for every entry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import dtypes
from app.engine.autograd import topological_order
from app.engine.tensor import Tensor
from tests.standard.mutation_kit import TOUCHED, Mutation, replace, swap, vjp_mutations

# app.engine re-exports the gradcheck function under the module's name, so import the module.
gradcheck_module = importlib.import_module("app.engine.gradcheck")


# --- bfloat16 rounding ------------------------------------------------------------------------
def _rounding_bug(kind: str) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    def make(original: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        def rounded(array: Any) -> np.ndarray:
            right = original(array)
            values = np.asarray(array, dtype=np.float32)
            bits = values.view(np.uint32).astype(np.uint64)
            # truncate: the low 16 bits dropped; away: + 0x8000 first, so ties round up.
            wrong_bits = (bits + (0 if kind == "truncate" else 0x8000)) >> 16 << 16
            wrong = wrong_bits.astype(np.uint32).view(np.float32).reshape(values.shape)
            wrong = np.where(np.isnan(values), values, wrong)
            if not np.array_equal(right, wrong, equal_nan=True):
                TOUCHED[0] = True
            return wrong

        return rounded

    return make


# --- scaled_backward --------------------------------------------------------------------------
def _scaled_backward_bug(kind: str) -> Callable[[Tensor, float], None]:
    def scaled_backward(loss: Tensor, scale: float) -> None:
        leaves = [t for t in topological_order(loss) if t.is_leaf]
        before = {id(t): t.grad for t in leaves}
        (loss * scale).backward()
        TOUCHED[0] = TOUCHED[0] or scale != 1
        for t in leaves:
            if t.grad is None or t.grad is before[id(t)]:
                continue
            previous = before[id(t)]
            if kind == "not_unscaled":
                continue  # the gradients stay S times too large
            # Unscaled in the gradient's own dtype: a float16 gradient / S underflows again.
            fresh = t.grad - (0 if previous is None else previous)
            t.grad = (0 if previous is None else previous) + (fresh / np.float16(1)) / scale
            t.grad = t.grad.astype(np.float16).astype(t.data.dtype)

    return scaled_backward


# --- gradcheck --------------------------------------------------------------------------------
def _difference_bug(kind: str) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """gradcheck's difference quotient, wrong: forward differences, or a central one over h."""

    def make(original: Callable[..., float]) -> Callable[..., float]:
        def quotient(value: Callable[[], float], x: np.ndarray, j: int, eps: float) -> float:
            TOUCHED[0] = True
            x0 = x[j]
            x[j] = x0 + eps
            plus = value()
            x[j] = x0 if kind == "forward" else x0 - eps
            minus = value()
            x[j] = x0
            return float((plus - minus) / eps)  # forward: the right quotient; half: 2h wanted

        return quotient

    return make


MUTATIONS: list[Mutation] = [
    *vjp_mutations("to_dtype", dtypes, "_to_dtype_vjp", 1),
    Mutation(
        "dtypes.bfloat16_round",
        "truncation: the low 16 bits dropped",
        replace(dtypes, "round_to_bfloat16", _rounding_bug("truncate")),
    ),
    Mutation(
        "dtypes.bfloat16_round",
        "ties rounded away from zero",
        replace(dtypes, "round_to_bfloat16", _rounding_bug("away")),
    ),
    Mutation(
        "dtypes.scaled_backward",
        "gradients never divided by S",
        swap(dtypes, "scaled_backward", _scaled_backward_bug("not_unscaled")),
    ),
    Mutation(
        "dtypes.scaled_backward",
        "unscaled in float16",
        swap(dtypes, "scaled_backward", _scaled_backward_bug("float16")),
    ),
    Mutation(
        "gradcheck.central",
        "forward differences (f(x + h) − f(x))/h",
        replace(gradcheck_module, "central_difference", _difference_bug("forward")),
    ),
    Mutation(
        "gradcheck.central",
        "central difference divided by h, not 2h",
        replace(gradcheck_module, "central_difference", _difference_bug("half")),
    ),
]
