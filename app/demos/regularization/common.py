"""Helpers the regularization deck's demos share: least-squares training on the engine beside
its NumPy reference, one-step Newton fits through the engine's gradient, relative errors."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from app.demos.init_norm.common import grad_of, gradcheck_all, relative_error
from app.engine import SGD, Tensor, linear, mse_loss

# app.engine re-exports the dropout *function* under the module's name; the mutation suite
# patches the module's attributes, so the demos call through the module.
dropout_module = importlib.import_module("app.engine.dropout")

__all__ = [
    "dropout_module",
    "engine_gd",
    "grad_of",
    "gradcheck_all",
    "mse_gradient",
    "newton_fit",
    "numpy_gd",
    "relative_error",
    "trajectory_error",
]


def mse_gradient(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """∇_w mean((Xw − y)²) = (2/n) Xᵀ(Xw − y), by hand (the reference)."""
    return np.asarray(2.0 / len(y) * x.T @ (x @ w - y))


def engine_gd(
    x: np.ndarray,
    y: np.ndarray,
    w0: np.ndarray,
    lr: float,
    steps: int,
    *,
    weight_decay: float = 0.0,
    every: int = 1,
) -> tuple[list[np.ndarray], list[float]]:
    """Full-batch SGD on mean((Xw − y)²) with the engine, from w0: the weights every `every`
    steps (the first and the last always) and the training loss before each step."""
    w = Tensor(np.array(w0, dtype=np.float64)[None, :], requires_grad=True)
    optimizer = SGD([w], lr=lr, weight_decay=weight_decay)
    xt, target = Tensor(x), y[:, None]
    weights, losses = [w.data[0].copy()], []
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss = mse_loss(linear(xt, w), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % every == 0 or step == steps:
            weights.append(w.data[0].copy())
    return weights, losses


def numpy_gd(
    x: np.ndarray,
    y: np.ndarray,
    w0: np.ndarray,
    lr: float,
    steps: int,
    *,
    weight_decay: float = 0.0,
    every: int = 1,
) -> list[np.ndarray]:
    """The same descent written out: w ← w − η((2/n)Xᵀ(Xw − y) + λw)."""
    w = np.array(w0, dtype=np.float64)
    weights = [w.copy()]
    for step in range(1, steps + 1):
        w = w - lr * (mse_gradient(x, y, w) + weight_decay * w)
        if step % every == 0 or step == steps:
            weights.append(w.copy())
    return weights


def trajectory_error(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """The largest relative difference between two recorded trajectories."""
    if len(a) != len(b):
        return float("inf")
    return max(relative_error(u, v) for u, v in zip(a, b, strict=True))


def newton_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares by one Newton step from 0 with the engine's gradient: the MSE is
    quadratic, so w = −H⁻¹∇L(0) with H = (2/n)XᵀX is exact (X of full column rank)."""
    w = Tensor(np.zeros((1, x.shape[1])), requires_grad=True)
    mse_loss(linear(Tensor(x), w), y[:, None]).backward()
    hessian = 2.0 / len(y) * x.T @ x
    return np.asarray(-np.linalg.solve(hessian, grad_of(w)[0]))


def batched_newton_fit(x: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """newton_fit for many target columns at once (one row of weights per column of ys): the
    engine differentiates mean over all (Xwᵣ − yᵣ)², whose Hessian per row is (2/(nR))XᵀX."""
    rows = ys.shape[1]
    w = Tensor(np.zeros((rows, x.shape[1])), requires_grad=True)
    mse_loss(linear(Tensor(x), w), ys).backward()
    hessian = 2.0 / ys.size * x.T @ x
    return np.asarray(-np.linalg.solve(hessian, grad_of(w).T).T)


Loss = Callable[..., Tensor]
