"""Deliberate engine bugs for the rules the training-at-scale deck's demos rest on.

Low-precision bugs patch app/engine/dtypes.py: the cast's gradient rule (_to_dtype_vjp, looked
up when a to_dtype node runs backward), the bfloat16 rounding (round_to_bfloat16, read by every
cast and by the bfloat16() block) and scaled_backward. The gradient-check bug swaps
gradcheck.gradcheck for one using another difference quotient.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.engine import dtypes
from app.engine.autograd import gradients, topological_order
from app.engine.gradcheck import GradcheckReport, InputCheck
from app.engine.tensor import Tensor, no_grad
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
def _gradcheck_bug(kind: str) -> Callable[..., GradcheckReport]:
    def gradcheck(
        f: Callable[..., Tensor],
        inputs: Sequence[Any],
        eps: float = 1e-6,
        atol: float = 1e-7,
        rtol: float = 1e-6,
        *,
        raise_exception: bool = False,
        seed: int = 0,
    ) -> GradcheckReport:
        TOUCHED[0] = True
        xs = [np.array(x, dtype=np.float64) for x in inputs]
        leaves = [Tensor(x, requires_grad=True) for x in xs]
        y = f(*leaves)
        u = np.ones(y.shape)
        analytic = [g.data for g in gradients(y, leaves, u)]

        def value(values: list[np.ndarray]) -> float:
            with no_grad():
                return float(np.vdot(u, f(*[Tensor(v) for v in values]).data))

        report = GradcheckReport()
        for i, x in enumerate(xs):
            numeric = np.zeros_like(x)
            flat, out = x.reshape(-1), numeric.reshape(-1)
            for j in range(flat.size):
                original = flat[j]
                flat[j] = original + eps
                plus = value(xs)
                flat[j] = original if kind == "forward" else original - eps
                minus = value(xs)
                flat[j] = original
                out[j] = (plus - minus) / eps  # forward: the right quotient; half: 2h wanted
            error = np.abs(analytic[i] - numeric)
            passed = bool(np.all(error <= atol + rtol * np.abs(numeric)))
            report.inputs.append(InputCheck(i, float(error.max(initial=0.0)), 0.0, passed))
        return report

    return gradcheck


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
        swap(gradcheck_module, "gradcheck", _gradcheck_bug("forward")),
    ),
    Mutation(
        "gradcheck.central",
        "central difference divided by h, not 2h",
        swap(gradcheck_module, "gradcheck", _gradcheck_bug("half")),
    ),
]
