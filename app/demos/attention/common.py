"""Helpers the attention deck's demos share: independent NumPy references and error measures.

The references are written from the formulas, with no engine code, so a demo compares the
engine against something that cannot share its bugs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from app.demos.evidence import relative_error as relative_error  # shared, re-exported
from app.engine import Tensor

EXACT = 1e-12  # float64 agreement between the engine and an independent NumPy computation
FD_TOL = 1e-7  # relative error of a five-point central difference along one direction


def grad_of(t: Tensor) -> np.ndarray:
    """t.grad after backward; NaNs when backward gave it none, so the checks fail, not crash."""
    if t.grad is None:
        return np.full(t.shape, np.nan)
    return t.grad


def directional_error(
    f: Callable[[np.ndarray], float], x: np.ndarray, grad: np.ndarray, rng: np.random.Generator
) -> float:
    """Relative gap between grad · u and a five-point central difference of f along u.

    u is half random, half along grad, so the derivative is about ‖grad‖ and never cancels to
    near 0. The five-point stencil (error O(h⁴)) allows a long step h = 1e-3, which keeps the
    rounding error near 1e-13: far below a rule that is off by 1e-4."""
    u = rng.standard_normal(x.shape)
    u = u / np.linalg.norm(u) + grad / (np.linalg.norm(grad) or 1.0)
    h = 1e-4

    def at(t: float) -> float:
        return f(x + t * u)

    numeric = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)
    analytic = float(np.sum(grad * u))
    return abs(analytic - numeric) / max(abs(numeric), 1e-12)


def np_softmax(s: np.ndarray) -> np.ndarray:
    """softmax over the last axis; a row of all -inf gives zeros (as torch >= 2.5's SDPA)."""
    top = np.max(s, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(s - top)
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def causal_bias(length: int, source: int | None = None) -> np.ndarray:
    """0 where key j <= query i, -inf above the diagonal."""
    source = length if source is None else source
    i, j = np.arange(length)[:, None], np.arange(source)[None, :]
    return np.where(j <= i, 0.0, -np.inf)


def reference_attention(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    bias: np.ndarray | None = None,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(softmax(Q Kᵀ·scale + bias) V, the weights), scale 1/sqrt(E) by default."""
    factor = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * factor
    if bias is not None:
        scores = scores + bias
    weights = np_softmax(scores)
    return weights @ v, weights


def reference_mha(
    x: np.ndarray,
    in_w: np.ndarray,
    in_b: np.ndarray | None,
    out_w: np.ndarray,
    out_b: np.ndarray | None,
    heads: int,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Self-attention of x (N, L, E) with torch's packed layout, one head at a time."""
    e = x.shape[-1]
    hd = e // heads
    qkv = x @ in_w.T + (0.0 if in_b is None else in_b)
    q, k, v = qkv[..., :e], qkv[..., e : 2 * e], qkv[..., 2 * e :]
    outs = []
    for h in range(heads):
        cols = slice(h * hd, (h + 1) * hd)
        outs.append(reference_attention(q[..., cols], k[..., cols], v[..., cols], bias)[0])
    merged = np.concatenate(outs, axis=-1)
    return merged @ out_w.T + (0.0 if out_b is None else out_b)


def entropy(p: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row of p."""
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)


def ratio_text(values: Sequence[float]) -> str:
    """'1, 2, 4' for a short list of numbers."""
    return ", ".join(f"{v:.3g}" for v in values)
