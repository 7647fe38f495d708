"""Small helpers the activations deck's demos share: one backward, relative differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.demos.base import Check
from app.engine import Tensor


def engine_grad(
    fn: Callable[[Tensor], Tensor], x: np.ndarray, upstream: np.ndarray | None = None
) -> np.ndarray:
    """∂(Σ upstream ⊙ fn(x))/∂x by the engine's backward (upstream 1 by default)."""
    t = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out = fn(t)
    out.backward(gradient=np.ones(out.shape) if upstream is None else upstream)
    assert t.grad is not None
    return np.asarray(t.grad, dtype=np.float64)


def relative_difference(a: Any, b: Any) -> float:
    """max |a − b| / max |b| (inf on a shape mismatch; the absolute value when b is all zero)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    scale = float(np.max(np.abs(b), initial=0.0))
    diff = float(np.max(np.abs(a - b), initial=0.0))
    return diff / scale if scale > 0 else diff


def pointwise_relative(a: Any, b: Any) -> float:
    """max over entries of |a − b| / |b| (inf on a shape mismatch or where b = 0 and a ≠ b)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    diff = np.abs(a - b)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(diff == 0, 0.0, diff / np.abs(b))
    return float(np.max(ratio, initial=0.0))


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) in NumPy, written independently of the engine: exp of a non-positive number only."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def combined(checks: list[Check], claim: str) -> Check:
    """One check standing for several: the worst measurement, passed only if all passed."""
    worst = max(checks, key=lambda c: (not c.passed, c.measured))
    return Check(claim, worst.measured, worst.bound, all(c.passed for c in checks), worst.tolerance)
