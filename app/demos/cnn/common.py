"""Helpers the cnn deck's demos share: independent NumPy references, errors, gradient checks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.demos.evidence import directional_check as directional_check  # shared, re-exported
from app.demos.evidence import relative_error as relative_error  # shared, re-exported
from app.engine import Tensor

EXACT = 1e-12  # float64 agreement between the engine and an independent NumPy loop


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


def ratio_text(values: Sequence[float]) -> str:
    """'1, 2, 4' for a short list of numbers."""
    return ", ".join(f"{v:g}" for v in values)
