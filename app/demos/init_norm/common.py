"""Helpers the init_norm deck's demos share: combined gradchecks, relative errors, exact draws."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from app.demos.base import Check
from app.demos.evidence import finite_difference_checks
from app.demos.evidence import relative_error as relative_error  # shared, re-exported
from app.engine import Tensor

EXACT = 1e-12  # float64 agreement between the engine and an independent NumPy formula


def gradcheck_all(
    claim: str, f: Callable[..., Tensor], inputs: Sequence[np.ndarray], names: Sequence[str]
) -> Check:
    """One check for every input: the engine's gradients equal central differences (float64)."""
    # gradcheck's relative error divides by |numeric|; where that is exactly 0 (a dead ReLU) and
    # a broken rule gives a large analytic value, the division overflows. The verdict uses
    # atol + rtol·|numeric| and is unaffected, so the warning is noise (it would be an error
    # under pytest's filterwarnings).
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        checks = finite_difference_checks(f, inputs, names)
    worst = max(checks, key=lambda c: (not c.passed, c.measured))
    return Check(claim, worst.measured, worst.bound, all(c.passed for c in checks), worst.tolerance)


def draw_ratio_error(drawn: np.ndarray, seed: int, std: float) -> float:
    """How far an initialiser's draws are from N(0, std²) drawn with the same generator:
    max |W − std·z| / std, with z the standard normals the seed gives (0 when exact)."""
    z = np.random.default_rng(seed).standard_normal(drawn.shape)
    return float(np.max(np.abs(drawn - std * z))) / std


def grad_of(t: Tensor) -> np.ndarray:
    """t.grad, which the demos always expect to exist after backward."""
    assert t.grad is not None, "backward gave this tensor no gradient"
    return t.grad
