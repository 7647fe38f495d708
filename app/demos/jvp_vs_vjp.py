"""Card 7: Jv by forward mode and uᵀJ by reverse mode, against the explicit Jacobian."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference, numerical_jacobian
from app.demos.registry import register
from app.engine import Tensor, jvp, vjp

TOLERANCE = 1e-12  # both modes are exact: only rounding separates them from the formula
FD_TOLERANCE = 1e-8  # what central differences can confirm in float64


class JvpVsVjpParams(DemoParams):
    n: int = Field(default=3, ge=1, le=6, description="Inputs: x ∈ ℝⁿ.")
    m: int = Field(default=2, ge=1, le=6, description="Outputs: f(x) ∈ ℝᵐ.")


def explicit_jacobian(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """J of f(x) = tanh(Ax) ⊙ (Bx) by hand: diag((1 − t²) ⊙ Bx) A + diag(t) B, t = tanh(Ax)."""
    t, bx = np.tanh(a @ x), b @ x
    return ((1 - t * t) * bx)[:, None] * a + t[:, None] * b


@register(
    "jvp_vs_vjp",
    "JVP and VJP: Jv forward, uᵀJ backward",
    JvpVsVjpParams,
    rules=("matmul.jvp", "tanh.jvp", "mul.jvp", "matmul.vjp", "tanh.vjp", "mul.vjp"),
)
def jvp_vs_vjp(params: JvpVsVjpParams) -> Demo:
    """Run the demo: jVP and VJP: Jv forward, uᵀJ backward."""
    rng = params.rng()
    n, m = params.n, params.m
    a = rng.integers(-2, 3, size=(m, n)) / 2
    b = rng.integers(-2, 3, size=(m, n)) / 2
    x = np.round(rng.uniform(-1, 1, size=n), 1)
    # Nonzero directions, so that every entry of J takes part in Jv and uᵀJ.
    v = rng.choice([-2.0, -1.0, 1.0, 2.0], size=n)
    u = rng.choice([-2.0, -1.0, 1.0, 2.0], size=m)

    def f(x: Tensor) -> Tensor:
        return (Tensor(a) @ x).tanh() * (Tensor(b) @ x)

    jac = explicit_jacobian(a, b, x)
    numeric = numerical_jacobian(f, x)
    y, jv = jvp(f, x, v)  # one forward pass carrying the tangent v
    _, pull_back = vjp(f, x)
    (ujt,) = pull_back(u)  # one backward pass seeded with u
    forward_dot, reverse_dot = float(u @ jv), float(ujt @ v)

    steps = [
        Step("A", a, r"A \in \mathbb{R}^{m\times n}", f"{m}×{n}"),
        Step("B", b, r"B \in \mathbb{R}^{m\times n}", f"{m}×{n}"),
        Step("x", x, r"x \in \mathbb{R}^n", f"{n}"),
        Step("f(x) = tanh(Ax) ⊙ Bx", y, r"f(x) = \tanh(Ax)\odot Bx", f"{m}"),
        Step(
            "J (by hand)",
            jac,
            r"J = \operatorname{diag}\big((1-t^2)\odot Bx\big)A + \operatorname{diag}(t)\,B",
            f"{m}×{n}, t = tanh(Ax); built only to check the two products",
        ),
        Step("v (input direction)", v, r"v \in \mathbb{R}^n", f"{n}"),
        Step("Jv by forward mode", jv, r"Jv \in \mathbb{R}^m", f"{m}: one forward pass"),
        Step("J @ v", jac @ v, r"Jv", f"({m}×{n})·({n}) = {m}"),
        Step("u (output sensitivity)", u, r"u \in \mathbb{R}^m", f"{m}"),
        Step(
            "uᵀJ by reverse mode", ujt, r"u^\top J \in \mathbb{R}^{1\times n}", f"{n}: one backward"
        ),
        Step("u @ J", u @ jac, r"u^\top J", f"({m})·({m}×{n}) = {n}"),
        Step("u · (Jv)", forward_dot, r"u^\top (J v)"),
        Step("(uᵀJ) · v", reverse_dot, r"(u^\top J)\, v"),
    ]
    checks = [
        Check.at_most(
            "the hand-written Jacobian J equals central differences",
            max_abs_difference(jac, numeric),
            FD_TOLERANCE,
        ),
        Check.at_most("forward mode's Jv equals J @ v", max_abs_difference(jv, jac @ v), TOLERANCE),
        Check.at_most(
            "reverse mode's uᵀJ equals u @ J", max_abs_difference(ujt, u @ jac), TOLERANCE
        ),
        Check.at_most(
            "u·(Jv) from forward mode equals (uᵀJ)·v from reverse mode",
            abs(forward_dot - reverse_dot),
            TOLERANCE,
        ),
    ]
    return Demo(
        name="jvp_vs_vjp",
        title="JVP and VJP: Jv forward, uᵀJ backward",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"For f: ℝ^{n} → ℝ^{m}, one forward pass gave Jv ∈ ℝ^{m} and one backward pass gave "
            f"uᵀJ ∈ ℝ^{n}, both equal to the explicit {m}×{n} Jacobian's products; "
            f"u·(Jv) = {forward_dot:.6f} = (uᵀJ)·v = {reverse_dot:.6f}."
        ),
    )
