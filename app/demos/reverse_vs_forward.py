"""Card 3: the gradient of f: ℝⁿ → ℝ costs n JVPs in forward mode but one VJP in reverse mode."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import finite_difference_checks, max_abs_difference
from app.demos.registry import register
from app.engine import Tensor, count, jacobian

HIDDEN = 8  # rows of A: f's inner width, fixed so only n changes along the chart
REPEATS = 3  # timings keep the best of a few runs: the machine is shared and noisy


class ReverseVsForwardParams(DemoParams):
    n: int = Field(default=5, ge=1, le=8, description="Inputs of the function shown in full.")
    n_max: int = Field(default=32, ge=2, le=128, description="Largest n on the charts.")


@dataclass(frozen=True)
class Route:
    """One mode's gradient and what it cost: f evaluations and passes reported by jacobian."""

    gradient: np.ndarray
    evaluations: int  # forward passes through f, counted by wrapping f
    passes: int  # JVPs (forward mode: calls of f) or VJPs (reverse: the engine's backward walks)
    seconds: float


def make_function(
    rng: np.random.Generator, n: int
) -> tuple[Callable[[Tensor], Tensor], np.ndarray]:
    """f(x) = ½‖tanh(A x + c)‖², a scalar of n inputs, and a point x to differentiate at."""
    a = rng.standard_normal((HIDDEN, n)) / np.sqrt(n)
    c = rng.standard_normal(HIDDEN) * 0.1
    x = np.round(rng.standard_normal(n), 2)

    def f(x: Tensor) -> Tensor:
        h = (Tensor(a) @ x + Tensor(c)).tanh()
        return (h * h).sum() * 0.5

    return f, x


def gradient_by(mode: str, f: Callable[[Tensor], Tensor], x: np.ndarray) -> Route:
    """The gradient of f at x by jacobian(mode=...), counting the calls of f and timing it."""
    calls = 0

    def counted(t: Tensor) -> Tensor:
        nonlocal calls
        calls += 1
        return f(t)

    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        jacobian(f, x, mode=mode)
        best = min(best, time.perf_counter() - start)
    # Counted apart from the timed runs (counters slow the engine down): the calls of f, and
    # the backward walks the engine itself reports, so neither is the demo's own loop count.
    with count() as counter:
        result = jacobian(counted, x, mode=mode)
    passes = calls if mode == "forward" else counter.backward_passes
    return Route(result.matrix.reshape(x.shape), calls, passes, best)


def chart_sizes(n_max: int) -> list[int]:
    """1, 2, 4, … up to n_max, and n_max itself."""
    sizes = [1 << i for i in range(n_max.bit_length()) if 1 << i <= n_max]
    return sizes if sizes[-1] == n_max else [*sizes, n_max]


@register(
    "reverse_vs_forward",
    "Reverse vs forward mode for a scalar loss",
    ReverseVsForwardParams,
    rules=("matmul.vjp", "tanh.vjp", "mul.vjp", "matmul.jvp", "tanh.jvp", "mul.jvp"),
)
def reverse_vs_forward(params: ReverseVsForwardParams) -> Demo:
    """Run the demo: reverse vs forward mode for a scalar loss."""
    rng = params.rng()
    n = params.n
    f, x = make_function(rng, n)
    forward = gradient_by("fwd", f, x)
    reverse = gradient_by("rev", f, x)

    sizes = chart_sizes(params.n_max)
    runs = [
        (gradient_by("fwd", g, p), gradient_by("rev", g, p))
        for g, p in (make_function(rng, size) for size in sizes)
    ]
    off_pattern = sum(
        fwd.evaluations != size or rev.passes != 1 or rev.evaluations != 1
        for size, (fwd, rev) in zip(sizes, runs, strict=True)
    )

    steps = [
        Step("x", x, r"x \in \mathbb{R}^n", f"n = {n}"),
        Step(
            "f(x)",
            f(Tensor(x)).item(),
            r"f(x) = \tfrac12\lVert\tanh(Ax + c)\rVert^2",
            f"A is {HIDDEN}×{n}: f maps ℝ^{n} to one number",
        ),
        Step(
            "∇f by forward mode",
            forward.gradient,
            r"\big(J e_1, \dots, J e_n\big)",
            f"{forward.evaluations} JVPs, one per input direction e_i, each a forward pass",
        ),
        Step(
            "∇f by reverse mode",
            reverse.gradient,
            r"J^\top \cdot 1",
            f"{reverse.evaluations} forward pass, then {reverse.passes} VJP seeded with 1",
        ),
        Step("passes: forward mode", forward.evaluations, r"n"),
        Step("passes: reverse mode", reverse.passes, r"m = 1"),
        Step(
            "largest n on the charts: passes (fwd, rev)",
            f"n = {sizes[-1]}: {runs[-1][0].evaluations} vs {runs[-1][1].passes}",
        ),
    ]
    checks = [
        Check.equal(
            f"forward mode needed n = {n} JVP passes for the gradient of f: ℝ^{n} → ℝ",
            forward.evaluations,
            n,
        ),
        Check.equal("reverse mode needed 1 VJP pass for the same gradient", reverse.passes, 1),
        Check.at_most(
            "the n JVPs and the single VJP give the same gradient",
            max_abs_difference(forward.gradient, reverse.gradient),
            1e-12,
        ),
        *finite_difference_checks(f, [x], ["∇f"]),
        Check.equal(
            f"at every n on the chart (1…{sizes[-1]}), forward mode took n passes and reverse "
            "mode one forward and one VJP",
            off_pattern,
            0,
        ),
    ]
    charts = [
        Chart(
            "Passes for the whole gradient of f: ℝⁿ → ℝ",
            "inputs n",
            "passes",
            [
                Series("forward mode (JVPs)", list(sizes), [fwd.evaluations for fwd, _ in runs]),
                Series("reverse mode (VJPs)", list(sizes), [rev.passes for _, rev in runs]),
            ],
            log_x=True,
            log_y=True,
        ),
        Chart(
            "Time for the whole gradient (best of 3; shown, never checked)",
            "inputs n",
            "milliseconds",
            [
                Series("forward mode", list(sizes), [fwd.seconds * 1e3 for fwd, _ in runs]),
                Series("reverse mode", list(sizes), [rev.seconds * 1e3 for _, rev in runs]),
            ],
            log_x=True,
            log_y=True,
        ),
    ]
    big_fwd, big_rev = runs[-1]
    return Demo(
        name="reverse_vs_forward",
        title="Reverse vs forward mode for a scalar loss",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"For n = {n} inputs forward mode needed {forward.evaluations} JVPs and reverse mode "
            f"one VJP for the same gradient; at n = {sizes[-1]} it was {big_fwd.evaluations} "
            f"passes against 1 ({big_fwd.seconds * 1e3:.2f} ms against "
            f"{big_rev.seconds * 1e3:.2f} ms on this run)."
        ),
    )
