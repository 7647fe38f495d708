"""Card 11: at a kink the slopes between the one-sided derivatives form the Clarke generalised
gradient (the subgradients, where the kink is convex); PyTorch picks one per op: relu′(0) = 0,
leaky_relu′(0) = the negative slope, hardtanh′ = 0 and clamp′ = 1 on the bounds, abs′(0) = 0,
and maximum splits a tie ½/½."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, relative_difference
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import Tensor, clamp, hardtanh, leaky_relu, maximum, no_grad, relu
from app.engine import abs as engine_abs

H = 1e-3  # the one-sided differences are exact for piecewise-linear functions


class KinkSubgradientsParams(DemoParams):
    slope: float = Field(default=0.1, ge=0.01, le=0.5, description="leaky_relu's negative_slope.")
    points: int = Field(default=8, ge=2, le=32, description="Random points away from the kinks.")


def one_sided(fn: Callable[[Tensor], Tensor], x: float) -> tuple[float, float]:
    """(left, right) derivatives from forward values alone."""
    with no_grad():
        f = lambda v: float(fn(Tensor(np.array([v]))).data[0])  # noqa: E731
        return (f(x) - f(x - H)) / H, (f(x + H) - f(x)) / H


@register(
    "kink_subgradients",
    "Subgradients at the kink, and what PyTorch picks",
    KinkSubgradientsParams,
    rules=("relu.vjp", "leaky_relu.vjp", "hardtanh.vjp", "abs.vjp"),
)
def kink_subgradients(params: KinkSubgradientsParams) -> Demo:
    """Run the demo: subgradients at the kink, and what PyTorch picks."""
    rng = params.rng()
    a = params.slope
    ops = {
        "relu at 0": (relu, 0.0, 0.0),
        "leaky_relu at 0": (lambda t: leaky_relu(t, a), 0.0, a),
        "hardtanh at −1": (hardtanh, -1.0, 0.0),
        "hardtanh at +1": (hardtanh, 1.0, 0.0),
        "clamp(−1, 1) at −1": (lambda t: clamp(t, -1.0, 1.0), -1.0, 1.0),
        "clamp(−1, 1) at +1": (lambda t: clamp(t, -1.0, 1.0), 1.0, 1.0),
        "abs at 0": (engine_abs, 0.0, 0.0),
    }
    rows, picked, inside = [], [], []
    for name, (fn, kink, expected) in ops.items():
        g = float(engine_grad(fn, np.array([kink]))[0])
        left, right = one_sided(fn, kink)
        rows.append(f"{name}: engine {g:g}, one-sided [{left:.3g}, {right:.3g}]")
        picked.append(abs(g - expected))
        lo, hi = min(left, right), max(left, right)
        inside.append(max(lo - g, g - hi, 0.0))
    # maximum(a, b) at a tie: torch.maximum hands each input half of the gradient.
    ta, tb = (
        Tensor(np.array([1.5]), requires_grad=True),
        Tensor(np.array([1.5]), requires_grad=True),
    )
    maximum(ta, tb).backward(gradient=np.ones(1))
    assert ta.grad is not None and tb.grad is not None
    tie = np.array([float(ta.grad[0]), float(tb.grad[0])])
    rows.append(f"maximum(a, b) at a = b: engine {tie[0]:g} to a, {tie[1]:g} to b")

    # Away from the kinks each is a plain mask times the upstream gradient.
    x = np.round(rng.uniform(-2.5, 2.5, params.points), 2)
    x[np.isin(x, [0.0, -1.0, 1.0])] += 0.005
    g_up = rng.choice([-2.0, -1.0, 1.0, 2.0, 3.0], params.points)
    away = [
        relative_difference(engine_grad(relu, x, g_up), g_up * (x > 0)),
        relative_difference(
            engine_grad(lambda t: leaky_relu(t, a), x, g_up), g_up * np.where(x > 0, 1, a)
        ),
        relative_difference(engine_grad(hardtanh, x, g_up), g_up * (np.abs(x) < 1)),
        relative_difference(engine_grad(engine_abs, x, g_up), g_up * np.sign(x)),
    ]
    checks = [
        Check.at_most(
            f"PyTorch's picks: relu′(0) = 0, leaky_relu′(0) = {a:g}, hardtanh′(±1) = 0, "
            "clamp′(±1) = 1, abs′(0) = 0 (largest |engine − pick|)",
            max(picked),
            0.0,
        ),
        Check.at_most(
            "maximum(a, b) at a tie gives ½ to each input, as torch.maximum (largest |grad − ½|)",
            float(np.abs(tie - 0.5).max()),
            0.0,
        ),
        Check.at_most(
            "each pick lies between the one-sided derivatives, so it is in the Clarke generalised "
            "gradient (a subgradient for relu, leaky_relu and abs) (largest distance outside)",
            max(inside),
            1e-9,
        ),
        Check.at_most(
            "away from the kinks relu, leaky_relu, hardtanh and abs pass g ⊙ their slope "
            "(relative)",
            max(away),
            1e-12,
        ),
    ]
    steps = [Step("at the kinks", "\n".join(rows))]
    steps += [
        Step("x away from the kinks", x),
        Step("upstream g", g_up),
    ]
    return Demo(
        name="kink_subgradients",
        title="Subgradients at the kink, and what PyTorch picks",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            "At x = 0 relu's one-sided slopes are 0 and 1 and the engine picks 0; "
            "leaky_relu's are "
            f"{a:g} and 1 and it picks {a:g}; hardtanh picks 0 on its bounds, where clamp picks 1; "
            "abs picks 0 and maximum splits a tie ½/½."
        ),
    )
