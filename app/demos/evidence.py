"""Checks that several decks' demos share: gradients against central differences, exact
agreement, relative errors, and the NumPy softmax they compare the engine with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.demos.base import Check
from app.engine import Tensor, gradcheck, no_grad

FD_STEP = 1e-6  # central differences: truncation error ~step², rounding ~1e-16/step
GRADCHECK_ATOL = 1e-7
GRADCHECK_RTOL = 1e-6


def finite_difference_checks(
    f: Callable[..., Tensor], inputs: Sequence[np.ndarray], names: Sequence[str]
) -> list[Check]:
    """One check per input: the engine's gradient equals central differences (float64)."""
    report = gradcheck(f, inputs, atol=GRADCHECK_ATOL, rtol=GRADCHECK_RTOL)
    bound = f"≤ {GRADCHECK_ATOL:g} + {GRADCHECK_RTOL:g}·|numeric|"
    return [
        Check(
            claim=f"analytic {name} equals central differences",
            measured=item.max_abs_error,
            bound=bound,
            passed=item.passed,
            tolerance=GRADCHECK_ATOL,
        )
        for name, item in zip(names, report.inputs, strict=True)
    ]


def max_abs_difference(a: Any, b: Any) -> float:
    """The largest elementwise |a - b| (inf when the shapes differ: that is a failure too)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b), initial=0.0))


def relative_error(measured: Any, expected: Any) -> float:
    """max |measured − expected| / max |expected|: inf when the shapes differ or on NaN, so a
    check bounded by it fails."""
    measured, expected = np.asarray(measured, float), np.asarray(expected, float)
    if measured.shape != expected.shape:
        return float("inf")
    scale = float(np.max(np.abs(expected), initial=0.0)) or 1.0
    error = float(np.max(np.abs(measured - expected), initial=0.0)) / scale
    return error if np.isfinite(error) else float("inf")


def softmax_rows(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax in NumPy, shifted by the row max: the independent reference."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def shape_text(shape: Sequence[int]) -> str:
    """(2, 3) -> '2×3'; a scalar -> 'scalar'."""
    return "×".join(str(n) for n in shape) if len(shape) else "scalar"


def numerical_jacobian(fn: Callable[[Tensor], Tensor], x: np.ndarray) -> np.ndarray:
    """∂fn/∂x by central differences, one column per input entry (shape out.shape + x.shape)."""
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)
    columns = []
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + FD_STEP
        with no_grad():
            plus = fn(Tensor(x)).data.copy()
        flat[j] = original - FD_STEP
        with no_grad():
            minus = fn(Tensor(x)).data.copy()
        flat[j] = original
        columns.append(((plus - minus) / (2 * FD_STEP)).reshape(-1))
    return np.array(columns).T.reshape(plus.shape + x.shape)
