"""Card 10: Newton and quasi-Newton against gradient descent. On a strongly convex, smooth loss
(L2-regularised logistic regression) gradient descent with η = 1/L converges linearly, Newton's
step θ ← θ − H⁻¹∇f converges quadratically near the optimum (the error is squared each step),
and BFGS, which builds an inverse-Hessian estimate from gradient differences alone, converges
superlinearly. Gradients and Hessians come from the engine (grad, and hessian by hvp)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error
from app.demos.registry import register
from app.engine import Tensor, grad, hessian, softplus

FEATURES = 4
RIDGE = 1e-2
SCALES = np.array([3.0, 1.0, 0.3, 0.1])  # feature scales: an ill-conditioned Hessian
ITERATIONS = 60


class NewtonParams(DemoParams):
    examples: int = Field(default=64, ge=16, le=128, description="Examples N.")


@register(
    "newton_convergence",
    "Newton and BFGS against gradient descent",
    NewtonParams,
    rules=("softplus.vjp", "matmul.vjp"),
)
@quiet
def newton_convergence(params: NewtonParams) -> Demo:
    """Run the demo: three optimisers on an L2-regularised logistic regression."""
    rng = params.rng()
    n = params.examples
    x = rng.standard_normal((n, FEATURES)) * SCALES
    y = np.where(x @ rng.standard_normal(FEATURES) + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    xy = x * y[:, None]

    def loss(theta: Tensor) -> Tensor:
        margins = Tensor(xy) @ theta
        return softplus(-margins).sum() * (1 / n) + (theta * theta).sum() * (RIDGE / 2)

    gradient, hess = grad(loss), (lambda th: hessian(loss, th))

    def by_hand(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = 1 / (1 + np.exp(xy @ theta))  # σ(−margin)
        g = -xy.T @ s / n + RIDGE * theta
        h = (x.T * (s * (1 - s))) @ x / n + RIDGE * np.eye(FEATURES)
        return g, h

    theta0 = np.zeros(FEATURES)
    _g0, h0 = by_hand(theta0)
    # The optimum, to rounding, by many Newton steps with the hand formulas.
    star = theta0.copy()
    for _ in range(30):
        g_, h_ = by_hand(star)
        star = star - np.linalg.solve(h_, g_)

    newton = [theta0]
    for _ in range(12):
        th = newton[-1]
        newton.append(th - np.linalg.solve(hess(th), gradient(th)))
    newton_err = np.array([np.linalg.norm(t - star) for t in newton])

    lipschitz = 0.25 * float(np.linalg.eigvalsh(x.T @ x / n)[-1]) + RIDGE
    gd = [theta0]
    for _ in range(ITERATIONS):
        gd.append(gd[-1] - gradient(gd[-1]) / lipschitz)
    gd_err = np.array([np.linalg.norm(t - star) for t in gd])

    # BFGS with a backtracking (Armijo) line search; H⁻¹ starts as I/L.
    def value(theta: np.ndarray) -> float:
        return float(np.sum(np.logaddexp(0, -xy @ theta)) / n + RIDGE / 2 * theta @ theta)

    inv = np.eye(FEATURES) / lipschitz
    th, g = theta0.copy(), gradient(theta0)
    bfgs = [th]
    for _ in range(ITERATIONS):
        direction = -inv @ g
        step = 1.0
        while value(th + step * direction) > value(th) + 1e-4 * step * g @ direction:
            step /= 2
        new = th + step * direction
        new_g = gradient(new)
        s_, y_ = new - th, new_g - g
        if s_ @ y_ > 1e-16:
            rho = 1 / (s_ @ y_)
            left = np.eye(FEATURES) - rho * np.outer(s_, y_)
            inv = left @ inv @ left.T + rho * np.outer(s_, s_)
        th, g = new, new_g
        bfgs.append(th)
    bfgs_err = np.array([np.linalg.norm(t - star) for t in bfgs])

    live = [k for k in range(len(newton_err) - 1) if 1e-7 < newton_err[k] < 0.5]
    squaring = max((newton_err[k + 1] / newton_err[k] ** 2 for k in live), default=0.0)
    checks = [
        Check.at_most(
            "the engine's gradient equals −Xᵀ(y ⊙ σ(−y ⊙ Xθ))/N + αθ (relative error)",
            relative_error(gradient(theta0 + 0.3), by_hand(theta0 + 0.3)[0]),
            1e-12,
        ),
        Check.at_most(
            "the engine's Hessian equals XᵀDX/N + αI, D = σ(1 − σ) (relative error)",
            relative_error(hess(theta0), h0),
            1e-10,
        ),
        Check.at_most(
            "Newton: the error is squared each step near θ* (largest e_{k+1}/e_k²)",
            squaring,
            10.0,
        ),
        Check.at_most("Newton reaches ‖θ − θ*‖ < 1e-10 within 10 steps", newton_err[10], 1e-10),
        Check.at_least(
            f"gradient descent (η = 1/L) is still far after {ITERATIONS} steps: e/e₀",
            gd_err[-1] / gd_err[0],
            1e-2,
        ),
        Check.at_most(
            f"BFGS, from gradients only, reaches 1e-6 within {ITERATIONS} steps", bfgs_err[-1], 1e-6
        ),
    ]
    charts = [
        Chart(
            "Distance to the optimum",
            "iteration",
            "‖θ − θ*‖",
            [
                Series(
                    "gradient descent, η = 1/L",
                    list(range(len(gd_err))),
                    [float(e) + 1e-17 for e in gd_err],
                ),
                Series(
                    "Newton", list(range(len(newton_err))), [float(e) + 1e-17 for e in newton_err]
                ),
                Series("BFGS", list(range(len(bfgs_err))), [float(e) + 1e-17 for e in bfgs_err]),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step(
            "Hessian at θ = 0 (engine)",
            hess(theta0),
            r"H = X^\top D X / N + \alpha I \in \mathbb{R}^{4\times 4}",
        ),
        Step("Newton's errors, step by step", newton_err[:11]),
        Step(
            "L (smoothness) used by gradient descent",
            lipschitz,
            r"L = \lambda_{\max}(X^\top X)/(4N) + \alpha",
        ),
        Step(f"errors after {ITERATIONS} steps: GD, BFGS", np.array([gd_err[-1], bfgs_err[-1]])),
    ]
    return Demo(
        name="newton_convergence",
        title="Newton and BFGS against gradient descent",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Newton's errors went {', '.join(f'{e:.1e}' for e in newton_err[1:8])}: squared each "
            f"step. After {ITERATIONS} steps gradient descent was still at {gd_err[-1]:.1e}; BFGS, "
            f"with gradients alone, at {bfgs_err[-1]:.1e}."
        ),
    )
