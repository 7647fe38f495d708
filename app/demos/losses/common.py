"""Helpers the losses deck's demos share: one gradcheck verdict for several inputs."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from app.demos.base import Check, Demo, DemoParams
from app.demos.evidence import finite_difference_checks
from app.demos.evidence import softmax_rows as softmax_rows  # shared, re-exported
from app.engine import Tensor

P = TypeVar("P", bound=DemoParams)


def gradient_check(
    claim: str, f: Callable[..., Tensor], inputs: Sequence[np.ndarray], names: Sequence[str]
) -> Check:
    """One check standing for a gradcheck of every input: the worst error, passed if all pass."""
    checks = finite_difference_checks(f, inputs, names)
    worst = max(checks, key=lambda c: (not c.passed, c.measured))
    passed = all(c.passed for c in checks)
    return Check(claim, worst.measured, worst.bound, passed, worst.tolerance)


def relative_difference(a: object, b: object) -> float:
    """max |a − b| / max |b| (inf when the shapes differ)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        return float("inf")
    scale = float(np.max(np.abs(y), initial=0.0)) or 1.0
    return float(np.max(np.abs(x - y), initial=0.0)) / scale


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) in NumPy without overflow (the demos' independent reference)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def quiet_floats(run: Callable[[P], Demo]) -> Callable[[P], Demo]:
    """Run a demo with NumPy's floating-point warnings off: extreme inputs are the point of some
    demos, and a broken engine rule must show as a failed check (inf and nan fail every bound),
    not as a RuntimeWarning raised out of the demo."""

    @functools.wraps(run)
    def quiet(params: P) -> Demo:
        with np.errstate(all="ignore"):
            return run(params)

    return quiet
