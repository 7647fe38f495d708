"""What the step benchmarks share: PyTorch when importable, interleaved best-of timing, and the
engine-vs-NumPy-vs-PyTorch table that bench.conv_step and bench.attention_step print."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Step = Callable[[], float]
# make_data(dtype) -> data; engine_step / numpy_step(data) -> (step, parameters after stepping)
Maker = Callable[[Any], tuple[Step, list[Any]]]


def optional_torch() -> Any:
    """PyTorch when it is installed; the benchmarks still compare against NumPy without it."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def torch_sgd(params: list[Any], lr: float) -> None:
    """Plain SGD on torch parameters, in place, then forget the gradients (the torch column's
    update, the same as the engine's SGD and the hand-written NumPy one)."""
    torch = importlib.import_module("torch")
    with torch.no_grad():
        for p in params:
            assert p.grad is not None
            p -= lr * p.grad
            p.grad = None


def best_of(
    steps: dict[str, Step], rounds: int, repeat: int, pause: float = 0.0
) -> dict[str, float]:
    """Best seconds per step of each candidate, interleaved round by round (the round least
    disturbed by other jobs on a shared machine).

    Each round starts with one untimed step, which brings that candidate's arrays back into
    cache; `pause` seconds after each candidate let thread pools (torch's OpenMP, OpenBLAS) stop
    spinning after their last big op, so they do not steal the cores from the next candidate.
    """
    best = dict.fromkeys(steps, float("inf"))
    for step in steps.values():
        for _ in range(3):
            step()  # warm up caches, the allocator and torch's dispatcher
    for _ in range(rounds):
        for name, step in steps.items():
            step()
            start = time.perf_counter()
            for _ in range(repeat):
                step()
            best[name] = min(best[name], (time.perf_counter() - start) / repeat)
            if pause:
                time.sleep(pause)
    return best


def largest_difference(
    make_data: Callable[[Any], Any], engine_step: Maker, numpy_step: Maker, dtype: Any
) -> float:
    """Largest relative difference between the engine's and NumPy's parameters after 3 steps:
    the proof that both candidates compute the same math."""
    data = make_data(dtype)
    (run_engine, engine_params), (run_numpy, numpy_params) = engine_step(data), numpy_step(data)
    for _ in range(3):
        run_engine(), run_numpy()
    return max(
        float(np.abs(a.data - b).max() / np.abs(b).max())
        for a, b in zip(engine_params, numpy_params, strict=True)
    )


def print_table(
    title: str,
    make_data: Callable[[Any], Any],
    engine_step: Maker,
    numpy_step: Maker,
    torch_step: Callable[[Any], Step] | None,
    rounds: int,
    repeat: int,
) -> None:
    """One row per dtype: engine, NumPy and PyTorch (n/a when missing) times and engine/NumPy."""
    header = f"{title:<20}{'engine':>10}{'numpy':>10}{'torch':>10}{'eng/np':>8}"
    print(header)
    print("-" * len(header))
    for dtype in (np.float32, np.float64):
        error = largest_difference(make_data, engine_step, numpy_step, dtype)
        tolerance = 1e-4 if dtype == np.float32 else 1e-10
        if error > tolerance:
            raise SystemExit(f"engine and NumPy disagree ({error:.2g}): not the same math")
        data = make_data(dtype)
        steps = {"engine": engine_step(data)[0], "numpy": numpy_step(data)[0]}
        if torch_step is not None:
            steps["torch"] = torch_step(data)
        t = best_of(steps, rounds, repeat)
        torch_col = f"{t['torch'] * 1e6:>8.0f}us" if "torch" in t else f"{'n/a':>10}"
        print(
            f"{np.dtype(dtype).name:<20}{t['engine'] * 1e6:>8.0f}us{t['numpy'] * 1e6:>8.0f}us"
            f"{torch_col}{t['engine'] / t['numpy']:>7.2f}x"
        )
