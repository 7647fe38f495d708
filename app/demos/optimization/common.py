"""Shared pieces of the optimization deck's demos: quadratic bowls, runs of an engine optimizer
with gradients supplied by the caller, and the documented update rules written out by hand so
that every demo can hold the engine to them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import Tensor
from app.engine.optim import Optimizer

Gradient = Callable[[np.ndarray, int], np.ndarray]


def relative_error(got: np.ndarray | float, want: np.ndarray | float) -> float:
    """max |got − want| / max(max |want|, 1e-300): one number for 'the same up to rounding'."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-300)
    return float(np.max(np.abs(got - want))) / scale if want.size else 0.0


def run(
    make: Callable[[list[Tensor]], Optimizer],
    theta0: np.ndarray,
    gradient: Gradient,
    steps: int,
    after_step: Callable[[Optimizer, int], None] | None = None,
) -> np.ndarray:
    """Iterates θ_0 … θ_steps of an engine optimizer; gradient(θ, t) supplies ∇f at step t."""
    theta = Tensor(np.array(theta0, dtype=np.float64), requires_grad=True)
    optimizer = make([theta])
    path = [theta.data.copy()]
    for t in range(steps):
        theta.grad = np.asarray(gradient(theta.data.copy(), t), dtype=np.float64)
        optimizer.step()
        if after_step is not None:
            after_step(optimizer, t)
        path.append(theta.data.copy())
    return np.array(path)


def heavy_ball(
    theta0: np.ndarray,
    gradient: Gradient,
    steps: int,
    lr: float,
    momentum: float,
    nesterov: bool = False,
) -> np.ndarray:
    """PyTorch's SGD by hand: b₁ = g₁, b ← μb + g; step along b (or g + μb with nesterov)."""
    theta = np.array(theta0, dtype=np.float64)
    buf: np.ndarray | None = None
    path = [theta.copy()]
    for t in range(steps):
        g = gradient(theta.copy(), t)
        buf = g.copy() if buf is None else momentum * buf + g
        direction = g + momentum * buf if nesterov else buf
        theta = theta - lr * direction
        path.append(theta.copy())
    return np.array(path)


def adam_by_hand(
    theta0: np.ndarray,
    gradient: Gradient,
    steps: int,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled: bool = False,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Adam / AdamW as torch.optim documents them; returns the path and each step's m̂, v̂."""
    beta1, beta2 = betas
    theta = np.array(theta0, dtype=np.float64)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    path, moments = [theta.copy()], []
    for t in range(1, steps + 1):
        g = gradient(theta.copy(), t - 1)
        if weight_decay and decoupled:
            theta = theta * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(theta.copy())
        moments.append({"m": m.copy(), "v": v.copy(), "m_hat": m_hat, "v_hat": v_hat})
    return np.array(path), moments


def rotation(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random orthogonal n×n matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return np.asarray(q * np.sign(np.diag(r)))


def bowl(rng: np.random.Generator, eigenvalues: np.ndarray) -> np.ndarray:
    """A symmetric positive-definite Hessian A = Q diag(λ) Qᵀ with a random rotation Q."""
    q = rotation(rng, len(eigenvalues))
    return np.asarray(q @ np.diag(eigenvalues) @ q.T)


def steps_to(errors: np.ndarray, tolerance: float) -> int:
    """The first step index after which every error stays below tolerance (len if never)."""
    above = np.nonzero(errors >= tolerance)[0]
    return int(above[-1] + 1) if above.size else 0


def quiet(run_demo: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Run a demo with NumPy's overflow warnings off: a diverging run (η above 2/λ_max, or an
    engine rule broken on purpose) overflows, and its checks, not a warning, must say so."""

    @functools.wraps(run_demo)
    def wrapped(params: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return run_demo(params)

    return wrapped
