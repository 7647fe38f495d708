"""Card 13: Hessian-vector products are cheap and exact; a full Hessian and Newton are not."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import max_abs_difference
from app.demos.registry import register
from app.engine import Tensor, count, grad, gradients, hessian, hvp

FD_EPS = 1e-5  # central differences of gradients: error ~ eps², far above rounding
GD_TOLERANCE = 1e-8  # relative distance to the minimum that counts as "arrived"
GD_MAX_STEPS = 2000
LOG_FLOOR = 1e-16  # a log-scale chart cannot show an exact 0


class SecondOrderParams(DemoParams):
    n: int = Field(default=4, ge=2, le=8, description="Dimension of x.")
    condition: int = Field(
        default=10, ge=1, le=50, description="Condition number κ of the quadratic's Hessian."
    )


def quadratic(a: np.ndarray, b: np.ndarray) -> Callable[[Tensor], Tensor]:
    """f(x) = ½ xᵀA x − bᵀx, whose Hessian is A everywhere and minimum is A⁻¹b."""
    a_t, b_t = Tensor(a), Tensor(b)
    return lambda x: 0.5 * (x @ (a_t @ x)) - b_t @ x


def nonquadratic(m: np.ndarray) -> Callable[[Tensor], Tensor]:
    """g(x) = Σ tanh(M x)², curved differently at every x."""
    m_t = Tensor(m)
    return lambda x: ((m_t @ x).tanh() ** 2).sum()


def hessian_vector_product(f: Callable[[Tensor], Tensor], x: np.ndarray, v: np.ndarray) -> Tensor:
    """H v as ∇(∇f · v), reverse over reverse: every op of it is recorded, so it is counted."""
    leaf = Tensor(x, requires_grad=True)
    (g,) = gradients(f(leaf), leaf, create_graph=True)
    (hv,) = gradients((g * Tensor(v)).sum(), leaf)
    return hv


def flops(work: Callable[[], object]) -> int:
    """Counted FLOPs of everything `work` runs, in every phase."""
    with count() as counter:
        work()
    return sum(counter.total_flops(phase) for phase in ("forward", "backward", "recompute"))


def gradient_descent(
    f: Callable[[Tensor], Tensor], x0: np.ndarray, lr: float, target: np.ndarray
) -> list[np.ndarray]:
    """Iterates of x ← x − lr ∇f(x) until within GD_TOLERANCE of the target (or the cap)."""
    gradient = grad(f)
    xs = [x0]
    start = np.linalg.norm(x0 - target)
    while np.linalg.norm(xs[-1] - target) > GD_TOLERANCE * start and len(xs) <= GD_MAX_STEPS:
        xs.append(xs[-1] - lr * gradient(xs[-1]))
    return xs


def gd_step_range(eigenvalues: np.ndarray, q: np.ndarray, error: np.ndarray) -> tuple[int, int]:
    """The steps x ← x − ∇f/λ_max needs to shrink the error below GD_TOLERANCE of its start.

    Each step multiplies the error's component along the eigenvector of λ by 1 − λ/λ_max, so
    ‖e_t‖ ≤ r^t ‖e_0‖ with r = 1 − λ_min/λ_max = 1 − 1/κ (at most `high` steps), and
    ‖e_t‖ ≥ |c_min| r^t with c_min the component along λ_min's eigenvector (at least `low`).
    With κ = 1, r = 0: one step, as Newton.
    """
    rate = 1 - eigenvalues[0] / eigenvalues[-1]
    if rate <= 0:
        return 1, 1
    start = float(np.linalg.norm(error))
    slowest = abs(float(q[:, 0] @ error))
    high = max(1, math.ceil(math.log(GD_TOLERANCE) / math.log(rate)))
    if slowest <= GD_TOLERANCE * start:
        return 1, high
    low = max(1, math.ceil(math.log(GD_TOLERANCE * start / slowest) / math.log(rate)))
    return low, high


def value(f: Callable[[Tensor], Tensor], x: np.ndarray) -> float:
    """f(x) as a float."""
    return f(Tensor(x)).item()


@register(
    "second_order",
    "Second derivatives: HVPs, Hessians and Newton",
    SecondOrderParams,
    rules=("matmul.vjp", "matmul.jvp", "mul.jvp"),
)
def second_order(params: SecondOrderParams) -> Demo:
    """Run the demo: second derivatives: HVPs, Hessians and Newton."""
    rng = params.rng()
    n, kappa = params.n, params.condition
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigenvalues = np.linspace(1.0, float(kappa), n)
    a = (q * eigenvalues) @ q.T
    b = rng.standard_normal(n)
    f = quadratic(a, b)
    g = nonquadratic(rng.standard_normal((n, n)))
    x0, v = rng.standard_normal(n), rng.standard_normal(n)
    minimum = np.linalg.solve(a, b)

    # Exact HVP (forward over reverse) against a finite difference of two gradients.
    exact = hvp(g, x0, v)
    grad_g = grad(g)
    finite = (grad_g(x0 + FD_EPS * v) - grad_g(x0 - FD_EPS * v)) / (2 * FD_EPS)
    fd_error = float(np.linalg.norm(exact - finite) / np.linalg.norm(exact))

    h = hessian(f, x0)
    hv_quadratic = hvp(f, x0, v)
    newton = x0 - np.linalg.solve(h, grad(f)(x0))
    gd = gradient_descent(f, x0, 1.0 / eigenvalues[-1], minimum)
    f_min = value(f, minimum)
    gaps = [max(value(f, x) - f_min, LOG_FLOOR) for x in gd]
    newton_gaps = [max(value(f, x) - f_min, LOG_FLOOR) for x in (x0, newton)]

    low, high = gd_step_range(eigenvalues, q, x0 - minimum)

    gradient_cost = flops(lambda: grad(f)(x0))
    hvp_cost = flops(lambda: hessian_vector_product(f, x0, v))
    full_cost = flops(lambda: [hessian_vector_product(f, x0, e) for e in np.eye(n)])

    steps = [
        Step(
            "A (the quadratic's Hessian)",
            a,
            r"f(x) = \tfrac12 x^\top A x - b^\top x",
            f"{n}×{n}, κ = {kappa}",
        ),
        Step("engine's full Hessian of f", h, r"H = \nabla^2 f", f"{n} HVPs, one per column"),
        Step("v", v, note="direction of the Hessian-vector product"),
        Step("engine's H v on the quadratic", hv_quadratic, r"Hv = \nabla_x(\nabla_x f \cdot v)"),
        Step("A v", a @ v),
        Step("exact H v of g(x) = Σ tanh(Mx)²", exact, note="forward over reverse, no step size"),
        Step(
            "finite difference of gradients",
            finite,
            r"\frac{\nabla g(x + \epsilon v) - \nabla g(x - \epsilon v)}{2\epsilon}",
            f"ε = {FD_EPS:g}: two gradients, error ~ ε²",
        ),
        Step("x after one Newton step", newton, r"x_1 = x_0 - H^{-1}\nabla f(x_0)"),
        Step("minimum A⁻¹b", minimum, r"x^\star = A^{-1} b"),
        Step(
            "gradient-descent steps to the same tolerance",
            len(gd) - 1,
            r"x \leftarrow x - \tfrac{1}{\lambda_{\max}}\nabla f(x)",
            f"to within {GD_TOLERANCE:g} of the start's distance; about κ·ln(1/tol) steps",
        ),
        Step(
            "steps predicted by the rate 1 − 1/κ (from the slowest direction, at most)",
            f"{low} … {high}",
            r"\lvert c_{\min}\rvert (1 - 1/\kappa)^t \le \lVert e_t \rVert"
            r" \le (1 - 1/\kappa)^t \lVert e_0 \rVert",
        ),
        Step("counted FLOPs: one gradient", gradient_cost),
        Step("counted FLOPs: one Hessian-vector product", hvp_cost, note="reverse over reverse"),
        Step(
            "counted FLOPs: full Hessian",
            full_cost,
            note=f"{n} HVPs for {n * n} entries; at P = 10⁸ parameters that is 10¹⁶ entries",
        ),
    ]
    checks = [
        Check.at_most(
            "the engine's exact Hessian-vector product matches a finite difference of gradients "
            "(relative error)",
            fd_error,
            1e-6,
        ),
        Check.at_most(
            "on a quadratic the engine's H v equals A v",
            max_abs_difference(hv_quadratic, a @ v),
            1e-10,
        ),
        Check.at_most(
            "on a quadratic the engine's full Hessian equals A", max_abs_difference(h, a), 1e-10
        ),
        Check.at_most(
            "one Newton step lands on the minimum (distance)",
            float(np.linalg.norm(newton - minimum)),
            1e-10,
        ),
        Check.between(
            "gradient descent needs the steps its slowest rate 1 − 1/κ predicts, many where "
            "Newton needs one (and one, like Newton, when κ = 1) (steps)",
            len(gd) - 1,
            low - 1,
            high + 1,
        ),
        Check.between(
            "one Hessian-vector product costs a few gradients, not n (HVP / gradient FLOPs)",
            hvp_cost / gradient_cost,
            1.0,
            4.0,
        ),
    ]
    charts = [
        Chart(
            "Loss above the minimum vs iteration",
            "iteration",
            f"f(x) − f(x*) (floored at {LOG_FLOOR:g})",
            [
                Series("gradient descent", list(range(len(gaps))), gaps),
                Series("Newton", [0, 1], newton_gaps),
            ],
            log_y=True,
        )
    ]
    return Demo(
        name="second_order",
        title="Second derivatives: HVPs, Hessians and Newton",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"On a quadratic with κ = {kappa}, Newton reached the minimum in 1 step (distance "
            f"{np.linalg.norm(newton - minimum):.1e}) where gradient descent took {len(gd) - 1}; "
            f"an HVP cost {hvp_cost / gradient_cost:.1f} gradients and the full {n}×{n} Hessian "
            f"{full_cost / gradient_cost:.1f}."
        ),
    )
