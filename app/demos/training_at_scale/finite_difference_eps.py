"""Card 11: gradient checking done right: central differences, a step near ε^(1/3), float64.

Forward differences (f(x + h) − f(x))/h err by h·f''/2 (truncation) plus about ε·|f|/h
(rounding): best near h ≈ √ε ≈ 1e-8, error ≈ 1e-8. Central differences (f(x + h) − f(x − h))/2h
err by h²·f'''/6 plus ε·|f|/h: best near h ≈ ε^(1/3) ≈ 1e-5, error ≈ 1e-10 or less. In float32
(ε ≈ 1.2e-7) the same h = 1e-6 leaves an error of order 0.1: the difference cancels.
"""

from __future__ import annotations

import importlib

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import grad_or_nan
from app.engine import Tensor

gradcheck_module = importlib.import_module("app.engine.gradcheck")
STEPS = [10.0**-k for k in range(1, 13)]


class FiniteDifferenceEpsParams(DemoParams):
    x: float = Field(default=0.7, ge=-1.5, le=1.5, description="Point where f′ is checked.")
    a: float = Field(default=1.3, ge=0.5, le=2.0, description="f(x) = tanh(a·x) + x²/2 + 1.")


def f(x: Tensor, a: float) -> Tensor:
    """f(x) = tanh(a·x) + x²/2 + 1: smooth, and of order 1 like a loss."""
    return (x * a).tanh() + x * x * 0.5 + 1.0


def value(x: float, a: float, dtype: type) -> float:
    """f evaluated in `dtype` (NumPy, no graph)."""
    xs, aa = dtype(x), dtype(a)
    return float(np.tanh(aa * xs) + xs * xs * dtype(0.5) + dtype(1.0))


def skewed(x: Tensor, a: float) -> Tensor:
    """f with the same values but a gradient 1e-4 too large: a wrong rule to be caught."""
    y = f(x, a)
    slope = Tensor(a * (1 - np.tanh(a * x.data) ** 2) + x.data)  # f′ by hand, a constant
    return y + (x - Tensor(x.data)) * slope * 1e-4


def grad_engine(x: np.ndarray, a: float) -> np.ndarray:
    """The engine's f′(x), by backward."""
    xt = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    f(xt, a).sum().backward()
    return grad_or_nan(xt)


@register(
    "finite_difference_eps",
    "Gradient checking: central differences and the choice of h",
    FiniteDifferenceEpsParams,
    rules=("tanh.vjp", "gradcheck.central"),
)
def finite_difference_eps(params: FiniteDifferenceEpsParams) -> Demo:
    """Run the demo: forward and central differences over h, in float64 and float32."""
    rng = params.rng()
    # Eight points near x: the errors are averaged, so one lucky rounding cannot decide.
    points = params.x + rng.uniform(-0.05, 0.05, 8)
    x0 = float(points[0])
    a = params.a
    exact = grad_engine(points, a)
    scale = float(np.max(np.abs(exact)))

    def errors(kind: str, dtype: type) -> list[float]:
        out = []
        for h in STEPS:
            total = 0.0
            for x, slope in zip(points, exact, strict=True):
                if kind == "forward":
                    numeric = (value(x + h, a, dtype) - value(x, a, dtype)) / h
                else:
                    numeric = (value(x + h, a, dtype) - value(x - h, a, dtype)) / (2 * h)
                total += abs(numeric - slope) / scale
            out.append(total / points.size)
        return out

    fwd, cen, cen32 = (
        errors("forward", np.float64),
        errors("central", np.float64),
        errors("central", np.float32),
    )
    best_c, best_f = int(np.argmin(cen)), int(np.argmin(fwd))
    point = np.array([x0, x0 + 0.3, x0 - 0.2])
    # h = 1e-4: a central difference is still exact to ~1e-9 there, a forward one is not.
    good = gradcheck_module.gradcheck(lambda t: f(t, a).sum(), [point], eps=1e-4)
    bad = gradcheck_module.gradcheck(lambda t: skewed(t, a).sum(), [point], eps=1e-4)
    checks = [
        Check.at_most("central differences in float64, best h: relative error", cen[best_c], 1e-9),
        Check.between("…at h near ε^(1/3) ≈ 6e-6 (best h)", STEPS[best_c], 1e-7, 1e-3),
        Check.between(
            "forward differences are best near √ε ≈ 1.5e-8 (best h)", STEPS[best_f], 1e-10, 1e-6
        ),
        Check.at_least(
            "…and stay ≥ 10× worse than central at their best (ratio)",
            fwd[best_f] / max(cen[best_c], 1e-300),
            10.0,
        ),
        Check.between(
            "truncation: h ÷ 10 cuts the central error ~100× (h = 0.1 → 0.01)",
            cen[0] / cen[1],
            50.0,
            200.0,
        ),
        Check.between("…and the forward error ~10×", fwd[0] / fwd[1], 5.0, 20.0),
        Check.at_least(
            "float32 central difference at h = 1e-6: cancellation (relative error)", cen32[5], 1e-3
        ),
        Check.equal(
            "gradcheck (central, float64, rtol 1e-6) passes the engine's tanh rule",
            float(good.passed),
            1.0,
        ),
        Check.equal("…and rejects a gradient 1e-4 too large", float(bad.passed), 0.0),
    ]
    steps = [
        Step("points x", points),
        Step("engine f′ at the 8 points", exact, r"a\,(1 - \tanh^2(a x)) + x"),
        Step("h", np.array(STEPS)),
        Step("forward-difference error", np.array(fwd)),
        Step("central-difference error", np.array(cen)),
        Step("central error in float32", np.array(cen32)),
    ]
    floor = 1e-18  # a log plot cannot show an exact 0
    chart = Chart(
        "Relative error of the difference quotient against h",
        "h",
        "relative error",
        [
            Series("forward, float64", STEPS, [max(e, floor) for e in fwd]),
            Series("central, float64", STEPS, [max(e, floor) for e in cen]),
            Series("central, float32", STEPS, [max(e, floor) for e in cen32]),
        ],
        log_x=True,
        log_y=True,
    )
    return Demo(
        name="finite_difference_eps",
        title="Gradient checking: central differences and the choice of h",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Around x = {params.x:g}: central differences reach {cen[best_c]:.1e} at h = "
            f"{STEPS[best_c]:g}, forward differences only {fwd[best_f]:.1e} at h = "
            f"{STEPS[best_f]:g}; in float32 h = 1e-6 gives {cen32[5]:.1e}. gradcheck passes the "
            "engine's rule and catches a 1e-4 slip."
        ),
    )
