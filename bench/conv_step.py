"""Benchmark one SGD step of a small CNN: engine vs hand-written NumPy im2col (vs PyTorch).

The network (batch 32, 1×28×28 input): conv2d 8 filters 3×3 with padding 1, ReLU, max-pool 2×2,
flatten, linear to 10 classes, cross-entropy on class indices, backward, a plain SGD update.
The NumPy candidate is the same math derived by hand: im2col by a strided view, one matmul, the
pool as the maximum of four strided views with first-max masks for backward, dW = G · colsᵀ (the
input needs no gradient, so neither candidate computes dX of the first layer). Run with
`python -m bench.conv_step` (`--quick` for a smoke run). Candidates are interleaved round by
round in this one process; each time is the best of the rounds (the least disturbed by the other
jobs on a shared machine).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from app.engine import Tensor, cross_entropy, linear
from app.engine.conv import conv2d
from app.engine.pool import max_pool2d
from bench.steps import Step, optional_torch, print_table, torch_sgd

LR = 0.05
BATCH, SIDE, FILTERS, KERNEL, CLASSES = 32, 28, 8, 3, 10
POOLED = SIDE // 2
FEATURES = FILTERS * POOLED * POOLED


torch = optional_torch()


def make_data(dtype: Any) -> dict[str, np.ndarray]:
    """A batch and the initial weights every candidate starts from (PyTorch's layouts)."""
    rng = np.random.default_rng(0)
    conv_bound = 1 / np.sqrt(KERNEL * KERNEL)
    fc_bound = 1 / np.sqrt(FEATURES)
    return {
        "x": rng.standard_normal((BATCH, 1, SIDE, SIDE)).astype(dtype),
        "y": rng.integers(0, CLASSES, BATCH),
        "w": rng.uniform(-conv_bound, conv_bound, (FILTERS, 1, KERNEL, KERNEL)).astype(dtype),
        "b": rng.uniform(-conv_bound, conv_bound, FILTERS).astype(dtype),
        "w2": rng.uniform(-fc_bound, fc_bound, (CLASSES, FEATURES)).astype(dtype),
        "b2": rng.uniform(-fc_bound, fc_bound, CLASSES).astype(dtype),
    }


PARAMS = ("w", "b", "w2", "b2")


def engine_step(data: dict[str, np.ndarray]) -> tuple[Step, list[Tensor]]:
    params = [Tensor(data[k].copy(), requires_grad=True) for k in PARAMS]
    w, b, w2, b2 = params
    x, y = Tensor(data["x"]), data["y"]

    def step() -> float:
        h = max_pool2d(conv2d(x, w, b, padding=1).relu(), 2)
        loss = cross_entropy(linear(h.reshape((BATCH, -1)), w2, b2), y)
        loss.backward()
        for p in params:
            assert p.grad is not None
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    return step, params


def numpy_step(data: dict[str, np.ndarray]) -> tuple[Step, list[np.ndarray]]:
    """The same forward and backward, derived by hand."""
    params = [data[k].copy() for k in PARAMS]
    w, b, w2, b2 = params
    x, y = data["x"], data["y"]
    n = BATCH
    padded = np.zeros((n, 1, SIDE + 2, SIDE + 2), dtype=x.dtype)
    rows = np.arange(n)

    def step() -> float:
        # forward: im2col, one matmul, relu, 2x2 max-pool by reshape, linear, cross-entropy
        padded[:, :, 1:-1, 1:-1] = x
        windows = sliding_window_view(padded, (KERNEL, KERNEL), axis=(2, 3))
        cols = windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, KERNEL * KERNEL, SIDE * SIDE)
        z = w.reshape(FILTERS, -1) @ cols + b[:, None]
        r = np.maximum(z, 0).reshape(n, FILTERS, SIDE, SIDE)
        # 2x2 max-pool: the four cells of every window as strided views, their maximum, and
        # one-hot masks of the first cell equal to it (ties go to the first, as in torch).
        cells = [r[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
        pooled = np.maximum(np.maximum(cells[0], cells[1]), np.maximum(cells[2], cells[3]))
        masks, taken = [], np.zeros(pooled.shape, dtype=bool)
        for cell in cells:
            mask = (cell == pooled) & ~taken
            taken |= mask
            masks.append(mask)
        flat = pooled.reshape(n, FEATURES)
        logits = flat @ w2.T + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -logp[rows, y].mean()
        # backward
        dlogits = np.exp(logp)
        dlogits[rows, y] -= 1
        dlogits /= n
        dw2, db2 = dlogits.T @ flat, dlogits.sum(axis=0)
        dpooled = (dlogits @ w2).reshape(n, FILTERS, POOLED, POOLED)
        dr = np.empty_like(r)
        for (i, j), mask in zip(((0, 0), (0, 1), (1, 0), (1, 1)), masks, strict=True):
            dr[:, :, i::2, j::2] = dpooled * mask
        dz = dr.reshape(n, FILTERS, SIDE * SIDE) * (z > 0)
        dw = (dz @ cols.swapaxes(1, 2)).sum(axis=0).reshape(w.shape)
        db = dz.sum(axis=(0, 2))
        for param, g in zip(params, (dw, db, dw2, db2), strict=True):
            param -= LR * g
        return float(loss)

    return step, params


def torch_step(data: dict[str, np.ndarray]) -> Step:
    assert torch is not None
    functional = torch.nn.functional
    params = [torch.tensor(data[k], requires_grad=True) for k in PARAMS]
    w, b, w2, b2 = params
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])

    def step() -> float:
        h = functional.max_pool2d(functional.conv2d(x, w, b, padding=1).relu(), 2)
        loss = functional.cross_entropy(functional.linear(h.flatten(1), w2, b2), y)
        loss.backward()
        torch_sgd(params, LR)
        return loss.item()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke test")
    report(parser.parse_args().quick)


def report(quick: bool) -> None:
    """Print this benchmark's table (bench.engine prints it after its own)."""
    rounds, repeat = (5, 5) if quick else (30, 10)
    print_table(
        "small CNN step",
        make_data,
        engine_step,
        numpy_step,
        torch_step if torch else None,
        rounds,
        repeat,
    )
    print(
        f"\nbatch {BATCH}, 1x{SIDE}x{SIDE}, conv {FILTERS} {KERNEL}x{KERNEL} pad 1, relu, "
        f"max-pool 2, linear {CLASSES}, cross-entropy"
    )
    if torch is None:
        print("PyTorch is not importable: its column is n/a.")


if __name__ == "__main__":
    main()
