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
DIRECTIONAL_TOL = 1e-7  # relative error of a central difference along one direction


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


def directional_check(
    claim: str,
    f: Callable[..., Tensor],
    inputs: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
    rng: np.random.Generator,
    linear: bool = False,
) -> Check:
    """The engine's gradient of scalar f along one direction in each input equals the central
    difference of f along it (relative error, worst input). `linear`: f is linear in each
    input on its own (a convolution), so a long step has no truncation error and keeps the
    rounding error small."""
    worst = 0.0
    for index, (value, grad) in enumerate(zip(inputs, grads, strict=True)):
        # Half along the claimed gradient, half random: the directional derivative is then
        # about ‖grad‖ and never cancels to near 0, so rounding stays far below the tolerance.
        noise = rng.standard_normal(value.shape)
        direction = noise / np.linalg.norm(noise)
        size = float(np.linalg.norm(grad))
        if size > 0:
            direction = direction + np.asarray(grad) / size
        step = (1e-2 if linear else 1e-5) * (float(np.max(np.abs(value))) or 1.0)

        def at(t: float, index: int = index, direction: np.ndarray = direction) -> float:
            moved = [np.array(v, dtype=np.float64) for v in inputs]
            moved[index] = moved[index] + t * direction
            with no_grad():
                return float(f(*(Tensor(v) for v in moved)).item())

        numeric = (at(step) - at(-step)) / (2 * step)
        analytic = float(np.sum(np.asarray(grad) * direction))
        scale = max(abs(numeric), 1e-12)
        worst = max(worst, abs(analytic - numeric) / scale)
    return Check.at_most(claim, worst, DIRECTIONAL_TOL)
