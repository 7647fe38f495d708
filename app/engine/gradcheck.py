"""Check gradients against central differences, and forward mode against reverse mode.

The tolerances are HIPS autograd's, not PyTorch's: at rtol 1e-6 a rule that is off by 1e-4
relative fails, where torch.autograd.gradcheck's rtol 1e-3 would let it through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine.autograd import gradients
from app.engine.functional import jvp, vjp
from app.engine.tensor import Tensor, no_grad


class GradcheckError(AssertionError):
    """Raised by gradcheck(raise_exception=True) when a gradient is wrong."""


@dataclass
class InputCheck:
    """How far one input's analytic gradient is from the numerical one."""

    index: int
    max_abs_error: float
    max_rel_error: float
    passed: bool


@dataclass
class GradcheckReport:
    """Per-input results of gradcheck; truthy when every input passed."""

    inputs: list[InputCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.inputs)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [
            f"input {c.index}: max abs err {c.max_abs_error:.3g}, max rel err "
            f"{c.max_rel_error:.3g} -> {'ok' if c.passed else 'FAIL'}"
            for c in self.inputs
        ]
        return "\n".join(lines)


def _projected(f: Callable[..., Tensor], u: np.ndarray, xs: list[np.ndarray]) -> float:
    with no_grad():
        return float(np.vdot(u, f(*[Tensor(x) for x in xs]).data))


def central_difference(value: Callable[[], float], x: np.ndarray, j: int, eps: float) -> float:
    """∂value/∂x[j] as (value(x + h·e_j) − value(x − h·e_j)) / 2h; x[j] is restored after."""
    original = x[j]
    x[j] = original + eps
    plus = value()
    x[j] = original - eps
    minus = value()
    x[j] = original
    return float((plus - minus) / (2 * eps))


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
    """Compare reverse-mode gradients of f with central differences, in float64."""
    xs = [np.array(x, dtype=np.float64) for x in inputs]
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    y = f(*leaves)
    # A non-scalar f is checked through u . f(x) for a random u, which tests every output. A
    # scalar f is checked as it is (u = 1): a random u would scale every error by |u|.
    rng = np.random.default_rng(seed)
    u = np.ones(y.shape) if y.size == 1 else rng.standard_normal(y.shape)
    analytic = [g.data for g in gradients(y, leaves, u)]
    report = GradcheckReport()
    for i, x in enumerate(xs):
        numeric = np.zeros_like(x)
        flat, out = x.reshape(-1), numeric.reshape(-1)
        for j in range(flat.size):
            out[j] = central_difference(lambda: _projected(f, u, xs), flat, j, eps)
        error = np.abs(analytic[i] - numeric)
        scale = np.maximum(np.abs(numeric), np.finfo(np.float64).tiny)
        passed = bool(np.all(error <= atol + rtol * np.abs(numeric)))
        # Where the numeric gradient is exactly 0 (a dead ReLU) the relative error of a wrong
        # rule is huge, even inf: that is the report, not a floating-point accident to warn of.
        with np.errstate(over="ignore", divide="ignore"):
            relative = float((error / scale).max(initial=0.0))
        report.inputs.append(InputCheck(i, float(error.max(initial=0.0)), relative, passed))
    if raise_exception and not report.passed:
        raise GradcheckError(f"gradient check failed:\n{report}")
    return report


@dataclass
class ModeCheck:
    """u . (J v) from forward mode against (u^T J) . v from reverse mode."""

    forward: float
    reverse: float
    passed: bool


def check_jvp_vjp(
    f: Callable[..., Tensor],
    inputs: Sequence[Any],
    rtol: float = 1e-10,
    atol: float = 1e-12,
    *,
    seed: int = 0,
) -> ModeCheck:
    """Whether forward and reverse mode agree on random directions u and v."""
    rng = np.random.default_rng(seed)
    xs = tuple(np.array(x, dtype=np.float64) for x in inputs)
    vs = tuple(rng.standard_normal(x.shape) for x in xs)
    y, jv = jvp(f, xs, vs)
    u = rng.standard_normal(y.shape)
    _, vjp_fn = vjp(f, *xs)
    forward = float(np.vdot(u, jv))
    reverse = float(sum(np.vdot(g, v) for g, v in zip(vjp_fn(u), vs, strict=True)))
    passed = abs(forward - reverse) <= atol + rtol * max(abs(forward), abs(reverse))
    return ModeCheck(forward, reverse, passed)
