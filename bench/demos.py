"""Median latency of every demo at its default params (target: each under 50 ms here), or with
--sweep the slowest run of each demo over its whole allowed-parameter grid (target: 200 ms).

    python -m bench.demos [--repeat N] [--sweep]

Each demo is timed in the same process against a baseline that does not drift with the
machine's load as much: a fixed NumPy matmul, so the table also gives each demo's cost in
"matmuls", a ratio that stays comparable between runs on this shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from app.demos import REGISTRY
from app.demos.sweep import parameter_grid

TARGET_MS = 50.0
SWEEP_TARGET_MS = 200.0


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sweep(baseline: float) -> None:
    """Each demo's slowest point of its parameter grid, each point timed once after a warm-up
    of the defaults (the sweep suite runs the same grid for correctness)."""
    print(f"{'demo':<24}{'points':>7}{'slowest':>10}{'× matmul':>10}  target  slowest point")
    print("-" * 90)
    total = 0.0
    for name, spec in sorted(REGISTRY.items()):
        spec.run_with({})
        timed = []
        for params in parameter_grid(spec.params):
            start = time.perf_counter()
            spec.run_with(params)
            timed.append((time.perf_counter() - start, params))
        total += sum(seconds for seconds, _ in timed)
        seconds, params = max(timed, key=lambda row: row[0])
        verdict = "ok" if seconds * 1e3 < SWEEP_TARGET_MS else "SLOW"
        print(
            f"{name:<24}{len(timed):>7}{seconds * 1e3:>8.1f}ms{seconds / baseline:>10.1f}"
            f"  {verdict:<6}  {params}"
        )
    print(f"\nbaseline: 256×256 float64 matmul, {baseline * 1e3:.2f} ms (median)")
    print(f"whole sweep: {total:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per demo")
    parser.add_argument("--sweep", action="store_true", help="time every allowed parameter")
    args = parser.parse_args()
    a = np.random.default_rng(0).standard_normal((256, 256))
    baseline = median_seconds(lambda: a @ a, args.repeat * 4)
    if args.sweep:
        sweep(baseline)
        return
    rows = []
    for name, spec in sorted(REGISTRY.items()):
        seconds = median_seconds(partial(spec.run_with, {}), args.repeat)
        rows.append((name, seconds, seconds / baseline))
    print(f"{'demo':<24}{'median':>10}{'× matmul':>10}  target")
    print("-" * 54)
    for name, seconds, ratio in rows:
        verdict = "ok" if seconds * 1e3 < TARGET_MS else "SLOW"
        print(f"{name:<24}{seconds * 1e3:>8.1f}ms{ratio:>10.1f}  {verdict}")
    slowest = max(rows, key=lambda row: row[1])
    print(f"\nbaseline: 256×256 float64 matmul, {baseline * 1e3:.2f} ms (median)")
    print(f"slowest: {slowest[0]} at {slowest[1] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
