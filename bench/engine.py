"""Benchmark one SGD step of Linear-ReLU-Linear with MSE: engine vs hand-written NumPy vs PyTorch,
then a small CNN step (bench/conv_step.py) and a small Transformer block step
(bench/attention_step.py) against the same comparisons.

Run with `python -m bench.engine` (add `--quick` for a short run). All candidates run in this one
process, interleaved round by round, and each time is the median of many rounds, because the
machine is shared and noisy. PyTorch is optional: its column is left out when it is missing.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from app.engine import SGD, Tensor, count, linear, mse_loss
from bench import attention_step, conv_step
from bench.steps import best_of, torch_sgd


def _optional_torch() -> Any:
    """PyTorch when it is installed; the benchmark still compares against NumPy without it."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


torch = _optional_torch()

LR = 1e-3
SIZES = {
    "small": (64, 32, 64, 10),
    "large": (256, 512, 1024, 512),
}

Step = Callable[[], Any]


def make_data(batch: int, n_in: int, n_hidden: int, n_out: int, dtype: Any) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return {
        "x": rng.standard_normal((batch, n_in)).astype(dtype),
        "y": rng.standard_normal((batch, n_out)).astype(dtype),
        # PyTorch's layout, (out, in), as nn.Linear builds them.
        "w1": (rng.standard_normal((n_hidden, n_in)) * np.sqrt(2 / n_in)).astype(dtype),
        "b1": np.zeros(n_hidden, dtype=dtype),
        "w2": (rng.standard_normal((n_out, n_hidden)) * np.sqrt(2 / n_hidden)).astype(dtype),
        "b2": np.zeros(n_out, dtype=dtype),
    }


PARAMS = ("w1", "b1", "w2", "b2")


def fused_loss(x: Any, y: Any, w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
    """The step as a layer computes it: fused linear and mse nodes."""
    return mse_loss(linear(linear(x, w1, b1).relu(), w2, b2), y)


def generic_loss(x: Any, y: Any, w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
    """The same loss from generic ops only (@, +, relu, -, *, mean), for the engine and torch
    alike: more nodes, each with its own rule, so it measures per-op overhead."""
    diff = ((x @ w1.T + b1).relu() @ w2.T + b2) - y
    return (diff * diff).mean()


def torch_fused_loss(x: Any, y: Any, w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
    functional = torch.nn.functional
    return functional.mse_loss(functional.linear(functional.linear(x, w1, b1).relu(), w2, b2), y)


def engine_step(data: dict[str, Any], loss_fn: Callable[..., Any] = fused_loss) -> Step:
    # The same layers nn.Linear builds, with the weights every candidate starts from.
    params = [Tensor(data[k].copy(), requires_grad=True) for k in PARAMS]
    optimizer = SGD(params, lr=LR)
    x, y = Tensor(data["x"]), Tensor(data["y"])

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(x, y, *params)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def torch_step(data: dict[str, Any], loss_fn: Callable[..., Any] = torch_fused_loss) -> Step:
    assert torch is not None
    params = [torch.tensor(data[k], requires_grad=True) for k in PARAMS]
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])

    def step() -> float:
        loss = loss_fn(x, y, *params)
        loss.backward()
        torch_sgd(params, LR)
        return float(loss.item())

    return step


def numpy_step(data: dict[str, Any]) -> Step:
    w1, b1, w2, b2 = (data[k].copy() for k in ("w1", "b1", "w2", "b2"))
    x, y = data["x"], data["y"]

    def step() -> float:
        nonlocal w1, b1, w2, b2  # updated in place below
        h = x @ w1.T + b1
        a = np.maximum(h, 0)
        out = a @ w2.T + b2
        diff = out - y
        loss = np.vdot(diff, diff) / diff.size
        d_out = diff * (2 / diff.size)
        d_w2 = d_out.T @ a
        d_b2 = d_out.sum(axis=0)
        d_h = (d_out @ w2) * (h > 0)
        d_w1 = d_h.T @ x
        d_b1 = d_h.sum(axis=0)
        w1 -= LR * d_w1
        b1 -= LR * d_b1
        w2 -= LR * d_w2
        b2 -= LR * d_b2
        return float(loss)

    return step


def step_flops(data: dict[str, Any]) -> int:
    """FLOPs (2 per multiply-add) of one engine step, measured with the engine's counters."""
    with count() as counter:
        engine_step(data)()
    # The layers' multiply-adds (the bias adds ride along, < 0.2%) at 2 FLOPs each.
    return 2 * (counter.flops["forward"]["linear"] + counter.flops["backward"]["linear"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke test")
    args = parser.parse_args()
    cases = [
        ("small", np.float32, False),
        ("small", np.float32, True),
        ("large", np.float32, False),
        ("large", np.float64, False),
    ]
    header = f"{'case':<18}{'engine':>11}{'numpy':>11}{'torch':>11}{'eng/np':>9}{'torch/eng':>11}"
    print(header)
    print("-" * len(header))
    notes = []
    for size, dtype, generic in cases:
        data = make_data(*SIZES[size], dtype)
        small = size == "small"
        rounds = (20 if args.quick else 200) if small else (5 if args.quick else 30)
        repeat = 20 if small else 3
        steps = {
            "engine": engine_step(data, generic_loss) if generic else engine_step(data),
            "numpy": numpy_step(data),
        }
        if torch is not None:
            steps["torch"] = torch_step(data, generic_loss) if generic else torch_step(data)
        ceiling = size == "large" and dtype == np.float32
        if ceiling:
            # The machine's ceiling: a plain NumPy matmul of the first layer's shape, timed in
            # the same rounds as the steps so both see the same noise.
            steps["matmul"] = partial(np.matmul, data["x"], data["w1"].T)
        t = best_of(steps, rounds, repeat, pause=0.0 if small else 0.02)
        name = f"{size} {np.dtype(dtype).name}" + (" ops" if generic else "")
        torch_cols = (
            f"{t['torch'] * 1e6:>9.0f}us{t['torch'] / t['engine']:>10.2f}x"
            if "torch" in t
            else f"{'n/a':>11}{'n/a':>11}"
        )
        print(
            f"{name:<18}{t['engine'] * 1e6:>9.0f}us{t['numpy'] * 1e6:>9.0f}us{torch_cols[:11]}"
            f"{t['engine'] / t['numpy']:>8.2f}x{torch_cols[11:]}"
        )
        if ceiling:
            x, w1 = data["x"], data["w1"]
            matmul = 2 * x.shape[0] * x.shape[1] * w1.shape[0] / t["matmul"] / 1e9
            achieved = step_flops(data) / t["engine"] / 1e9
            notes.append(
                f"large float32 step: {achieved:.1f} GFLOP/s = {achieved / matmul:.0%} of a "
                f"plain NumPy matmul's {matmul:.1f} GFLOP/s"
            )
    print()
    for note in notes:
        print(note)
    if torch is None:
        print("PyTorch is not importable: its columns are n/a.")
    else:
        print(
            f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}"
        )
    print()
    conv_step.report(args.quick)
    print()
    attention_step.report(args.quick)


if __name__ == "__main__":
    main()
