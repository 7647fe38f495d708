"""Card 2: the chain rule, dy/dx = f'(g(x)) g'(x) and J_{f∘g}(x) = J_f(g(x)) J_g(x), checked."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference, numerical_jacobian, shape_text
from app.demos.registry import register
from app.engine import Tensor, grad, jacobian, vjp

TOLERANCE = 1e-8  # what central differences can confirm in float64 at this step


class ChainRuleParams(DemoParams):
    n: int = Field(default=3, ge=1, le=6, description="Inputs of g: x ∈ ℝⁿ.")
    m: int = Field(default=4, ge=1, le=6, description="Outputs of g, inputs of f: u ∈ ℝᵐ.")
    k: int = Field(default=2, ge=1, le=6, description="Outputs of f: y ∈ ℝᵏ.")


def inner_scalar(x: Tensor) -> Tensor:
    """g(x) = x²."""
    return x * x


def outer_scalar(u: Tensor) -> Tensor:
    """f(u) = tanh(u)."""
    return u.tanh()


def local_derivatives(x: float) -> tuple[float, float]:
    """(f'(g(x)), g'(x)), each from the engine on its own function, evaluated at its own input."""
    u = inner_scalar(Tensor(x)).item()
    return float(grad(outer_scalar)(u)), float(grad(inner_scalar)(x))


def make_vector_functions(
    a: np.ndarray, b: np.ndarray
) -> tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]:
    """g(x) = tanh(A x) : ℝⁿ → ℝᵐ and f(u) = sigmoid(B u) : ℝᵐ → ℝᵏ."""

    def g(x: Tensor) -> Tensor:
        return (Tensor(a) @ x).tanh()

    def f(u: Tensor) -> Tensor:
        return (Tensor(b) @ u).sigmoid()

    return g, f


def jacobian_product(
    f: Callable[[Tensor], Tensor], g: Callable[[Tensor], Tensor], x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(J_f(g(x)), J_g(x), their product), the outer Jacobian taken at u = g(x)."""
    u = g(Tensor(x)).data
    j_f = jacobian(f, u, mode="rev").matrix
    j_g = jacobian(g, x, mode="rev").matrix
    return j_f, j_g, j_f @ j_g


def backprop_through_composition(
    f: Callable[[Tensor], Tensor], g: Callable[[Tensor], Tensor], x: np.ndarray
) -> np.ndarray:
    """∇ₓ L for L = Σ f(g(x)): one backward pass through the whole composition."""
    leaf = Tensor(x, requires_grad=True)
    f(g(leaf)).sum().backward()
    return np.asarray(leaf.grad)


@register(
    "chain_rule",
    "The chain rule: scalar and Jacobian products",
    ChainRuleParams,
    rules=("tanh.vjp", "sigmoid.vjp", "matmul.vjp", "mul.vjp", "tanh.jvp", "matmul.jvp"),
)
def chain_rule(params: ChainRuleParams) -> Demo:
    """Run the demo: the chain rule: scalar and Jacobian products."""
    rng = params.rng()
    n, m, k = params.n, params.m, params.k
    # Scalar case: y = tanh(x²).
    x0 = float(np.round(rng.uniform(-1.5, 1.5), 3))
    u0 = x0 * x0
    outer, inner = local_derivatives(x0)
    numeric0 = float(numerical_jacobian(lambda t: outer_scalar(inner_scalar(t)), np.array(x0)))
    wrong_point = float(grad(outer_scalar)(x0)) * inner

    # Vector case: y = sigmoid(B tanh(A x)).
    a = np.round(rng.standard_normal((m, n)), 2)
    b = np.round(rng.standard_normal((k, m)), 2)
    x = np.round(rng.standard_normal(n), 2)
    g, f = make_vector_functions(a, b)
    u = g(Tensor(x)).data
    j_f, j_g, product = jacobian_product(f, g, x)
    numeric = numerical_jacobian(lambda t: f(g(t)), x)

    # For a scalar L = Σ y, backprop is ∇ₓL = J_g(x)ᵀ ∇ᵤL; J_g by forward mode here so the two
    # sides share no reverse-mode rule.
    _, pull_back = vjp(f, u)
    (grad_u,) = pull_back(np.ones(k))
    j_g_forward = jacobian(g, x, mode="fwd").matrix
    backprop = backprop_through_composition(f, g, x)

    steps = [
        Step("x", x0, r"x"),
        Step("u = g(x) = x²", u0, r"u = g(x) = x^2"),
        Step("y = f(u) = tanh(u)", float(np.tanh(u0)), r"y = f(u) = \tanh u"),
        Step("f'(g(x)) = 1 − tanh²(x²)", outer, r"f'(g(x)) = 1 - \tanh^2(x^2)"),
        Step("g'(x) = 2x", inner, r"g'(x) = 2x"),
        Step("dy/dx = f'(g(x)) · g'(x)", outer * inner, r"\frac{dy}{dx} = f'(g(x))\,g'(x)"),
        Step(
            "central difference of f∘g", numeric0, r"\frac{y(x+\epsilon)-y(x-\epsilon)}{2\epsilon}"
        ),
        Step(
            "pitfall: f'(x) · g'(x)",
            wrong_point,
            r"f'(x)\,g'(x)",
            f"f' at x instead of at g(x): off by {abs(wrong_point - outer * inner):.3g}",
        ),
        Step("A (g's weights)", a, r"A \in \mathbb{R}^{m\times n}", shape_text(a.shape)),
        Step("B (f's weights)", b, r"B \in \mathbb{R}^{k\times m}", shape_text(b.shape)),
        Step("x ∈ ℝⁿ", x, r"x \in \mathbb{R}^n", shape_text(x.shape)),
        Step("u = g(x) = tanh(A x)", u, r"u = \tanh(Ax)", shape_text(u.shape)),
        Step("J_g(x)", j_g, r"J_g(x) = \operatorname{diag}(1-u^2)\,A", f"{m}×{n}"),
        Step("J_f(g(x))", j_f, r"J_f(u) = \operatorname{diag}(y(1-y))\,B", f"{k}×{m}, at u = g(x)"),
        Step(
            "J_f(g(x)) · J_g(x)",
            product,
            r"J_{f\circ g}(x) = J_f(g(x))\,J_g(x)",
            f"({k}×{m})·({m}×{n}) = {k}×{n}; the other order does not fit",
        ),
        Step("numerical Jacobian of f∘g", numeric, r"\text{central differences}", f"{k}×{n}"),
        Step("∇ᵤL for L = Σ y", grad_u, r"\nabla_u L", f"{m}"),
        Step("backprop's ∇ₓL", backprop, r"\nabla_x L = J_g(x)^\top \nabla_u L", f"{n}"),
    ]
    checks = [
        Check.at_most(
            "f'(g(x))·g'(x), a product of local derivatives, equals the central difference of f∘g",
            abs(outer * inner - numeric0),
            TOLERANCE,
        ),
        Check.at_most(
            "the Jacobian product J_f(g(x))·J_g(x) equals the numerical Jacobian of f∘g",
            max_abs_difference(product, numeric),
            TOLERANCE,
        ),
        Check.at_most(
            "for a scalar loss, backprop's ∇ₓL equals J_g(x)ᵀ∇ᵤL",
            max_abs_difference(backprop, j_g_forward.T @ grad_u),
            1e-12,
        ),
    ]
    error = max(c.measured for c in checks[:2])
    return Demo(
        name="chain_rule",
        title="The chain rule: scalar and Jacobian products",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"At x = {x0:g}, f'(g(x))·g'(x) = {outer * inner:.6f} (evaluating f' at x instead "
            f"would give {wrong_point:.6f}); the {k}×{m} by {m}×{n} Jacobian product matches the "
            f"numerical Jacobian of f∘g to {error:.1e}."
        ),
    )
