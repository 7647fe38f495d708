"""Helpers the cnn deck's demos share: independent NumPy references, errors, gradient checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from app.demos.base import Check
from app.demos.evidence import relative_error as relative_error  # shared, re-exported
from app.engine import Tensor, no_grad

EXACT = 1e-12  # float64 agreement between the engine and an independent NumPy loop
FD_TOL = 1e-7  # relative error of a central difference along one direction (float64)


def grad_of(t: Tensor) -> np.ndarray:
    """t.grad, which the demos always expect after backward."""
    assert t.grad is not None, "backward gave this tensor no gradient"
    return t.grad


def reference_conv(
    x: np.ndarray,
    w: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    groups: int = 1,
) -> np.ndarray:
    """Cross-correlation by its definition, a loop over kernel offsets (no engine code)."""
    n, _, h, wd = x.shape
    c_out, c_group, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    wo = (wd + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, c_out, ho, wo))
    per_group = c_out // groups
    for o in range(c_out):
        g = o // per_group
        for c in range(c_group):
            for p in range(kh):
                for q in range(kw):
                    rows = slice(p * dilation, p * dilation + stride * (ho - 1) + 1, stride)
                    cols = slice(q * dilation, q * dilation + stride * (wo - 1) + 1, stride)
                    out[:, o] += w[o, c, p, q] * xp[:, g * c_group + c, rows, cols]
    return out


def directional_checks(
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
    return Check.at_most(claim, worst, FD_TOL)


def ratio_text(values: Sequence[float]) -> str:
    """'1, 2, 4' for a short list of numbers."""
    return ", ".join(f"{v:g}" for v in values)
