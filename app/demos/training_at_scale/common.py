"""Helpers the training-at-scale deck's demos share: errors, gradients, NumPy references."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.demos.evidence import relative_error as relative_error  # shared, re-exported
from app.demos.evidence import softmax_rows as softmax_rows  # shared, re-exported
from app.engine import Tensor

EXACT = 1e-12  # float64 agreement between the engine and an independent NumPy computation


def grad_of(t: Tensor) -> np.ndarray:
    """t.grad, which the demos always expect after backward."""
    assert t.grad is not None, "backward gave this tensor no gradient"
    return t.grad


def adam_reference(
    theta: np.ndarray,
    grads: Sequence[np.ndarray],
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> np.ndarray:
    """θ after Adam steps on the given gradients, in float64 (PyTorch's documented update)."""
    b1, b2 = betas
    theta = np.array(theta, dtype=np.float64)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        g = np.asarray(g, dtype=np.float64)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return theta


def grad_or_nan(t: Tensor) -> np.ndarray:
    """t.grad, or NaNs shaped like t when backward left it without one (a check then fails)."""
    return np.full(t.shape, np.nan) if t.grad is None else t.grad
