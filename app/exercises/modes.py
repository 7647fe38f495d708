"""Jacobian products and modes, adjoints on a DAG with fan-out, and a Newton step with Hv."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, grad, hessian, hvp, jacobian, jvp, vjp
from app.exercises.base import AnswerField, Exercise, Given, Mistake, Numbers, register
from app.exercises.text import number

# (m, n): an n -> m function; never square, so swapping the two pass counts is always wrong.
JACOBIAN_SHAPES = [(2, 3), (3, 2), (2, 4), (4, 2), (3, 4), (4, 3)]

JVP_MISTAKES = (
    Mistake(
        "passes_swapped",
        "swapped the modes: forward mode builds J a column (input) per pass, reverse a row",
        lambda v: {"forward_passes": v["J"].shape[0], "reverse_passes": v["J"].shape[1]},
    ),
    Mistake(
        "one_pass_each",
        "thought one pass of either mode gives the whole Jacobian",
        lambda v: {"forward_passes": 1.0, "reverse_passes": 1.0},
    ),
    Mistake(
        "vjp_without_u",
        "summed J's columns for uᵀJ, forgetting to weight each row by u",
        lambda v: {"uTJ": v["J"].sum(axis=0)},
    ),
)


@register(
    "jvp_vjp",
    "Jv, uᵀJ and the cost of a full Jacobian",
    "A Jacobian-vector product, a vector-Jacobian product, and how many passes each mode "
    "needs for the whole Jacobian.",
    JVP_MISTAKES,
)
def jvp_vjp(rng: np.random.Generator, seed: int) -> Exercise:
    """f(x) = J x from Rⁿ to Rᵐ: Jv by forward mode, uᵀJ by reverse mode, both from the engine."""
    numbers = Numbers(rng)
    m, n = JACOBIAN_SHAPES[int(rng.integers(len(JACOBIAN_SHAPES)))]
    matrix = numbers.ints((m, n), -2, 2)
    v = numbers.nonzero_ints((n,), -2, 2)
    u = numbers.nonzero_ints((m,), -2, 2)
    x0 = np.zeros(n)

    def f(x: Tensor) -> Tensor:
        return Tensor(matrix) @ x

    _, jv = jvp(f, x0, v)  # one forward pass carrying the tangent v
    _, vjp_fn = vjp(f, x0)
    (utj,) = vjp_fn(u)  # one backward pass seeded with u
    forward = jacobian(f, x0, mode="fwd")
    reverse = jacobian(f, x0, mode="rev")
    prompt = (
        f"A function $f: \\mathbb{{R}}^{{{n}}} \\to \\mathbb{{R}}^{{{m}}}$ has, at the current "
        f"point, the Jacobian $J \\in \\mathbb{{R}}^{{{m}\\times{n}}}$ below. Compute the "
        "Jacobian-vector product $Jv$ (what one forward-mode pass with tangent $v$ returns) and "
        "the vector-Jacobian product $u^\\top J$ (what one reverse-mode pass seeded with $u$ "
        "returns). Then: how many forward-mode passes, and how many reverse-mode passes, "
        "does it take to build the whole Jacobian of $f$?"
    )
    steps = (
        Step("Jv: row i of J dotted with v", jv, r"(Jv)_i = \sum_j J_{ij} v_j"),
        Step("uᵀJ: column j of J dotted with u", utj, r"(u^\top J)_j = \sum_i u_i J_{ij}"),
        Step(
            "forward mode: one pass per input (a column of J each)",
            float(forward.passes),
            f"n = {n}",
        ),
        Step(
            "reverse mode: one pass per output (a row of J each)",
            float(reverse.passes),
            f"m = {m}",
        ),
    )
    return Exercise(
        kind="jvp_vjp",
        seed=seed,
        title="Jv, uᵀJ and the cost of a full Jacobian",
        prompt=prompt,
        given=(
            Given("J", "J", matrix, note=f"{m} outputs × {n} inputs"),
            Given("v", "v", v, note="a tangent: one per input"),
            Given("u", "u", u, note="a cotangent: one per output"),
        ),
        fields=(
            AnswerField("Jv", "Jv", (m,)),
            AnswerField("uTJ", r"u^\top J", (n,)),
            AnswerField("forward_passes", r"\text{forward-mode passes}", ()),
            AnswerField("reverse_passes", r"\text{reverse-mode passes}", ()),
        ),
        solution={
            "Jv": np.asarray(jv, dtype=np.float64),
            "uTJ": np.asarray(utj, dtype=np.float64),
            "forward_passes": np.asarray(float(forward.passes)),
            "reverse_passes": np.asarray(float(reverse.passes)),
        },
        steps=steps,
    )


def _dag(
    v: Mapping[str, Any], via_d: bool = True, via_c: bool = True, c_full: bool = True
) -> dict[str, float]:
    """The adjoints by hand; the flags drop a path, as the mistakes do."""
    a, b = float(v["a"]), float(v["b"])
    c = a * b
    d = a + c
    d_bar = c  # L = d c
    c_bar = d + (d_bar if c_full else 0.0)  # c feeds L directly and through d
    a_bar = (d_bar if via_d else 0.0) + (c_bar * b if via_c else 0.0)
    return {"d_bar": d_bar, "c_bar": c_bar, "a_bar": a_bar, "b_bar": c_bar * a}


DAG_MISTAKES = (
    Mistake(
        "a_only_through_d",
        "followed only the edge a → d, not a → c",
        lambda v: {"a_bar": _dag(v, via_c=False)["a_bar"]},
    ),
    Mistake(
        "a_only_through_c",
        "followed only the edge a → c, not a → d",
        lambda v: {"a_bar": _dag(v, via_d=False)["a_bar"]},
    ),
    Mistake(
        "c_only_direct",
        "took ∂L/∂c = d from L = d·c alone, missing the path c → d → L",
        lambda v: {k: w for k, w in _dag(v, c_full=False).items() if k != "d_bar"},
    ),
)


@register(
    "dag_adjoints",
    "Adjoints on a graph with fan-out",
    "Backpropagate through c = a·b, d = a + c, L = d·c: a gradient sums over every path.",
    DAG_MISTAKES,
)
def dag_adjoints(rng: np.random.Generator, seed: int) -> Exercise:
    """The adjoints of every node of a four-node DAG where a and c each feed two nodes."""
    numbers = Numbers(rng)
    a0, b0 = (float(value) for value in numbers.nonzero_ints((2,), -2, 2))
    a, b = Tensor(a0, requires_grad=True), Tensor(b0, requires_grad=True)
    c = (a * b).retain_grad()
    d = (a + c).retain_grad()
    loss = d * c
    loss.backward()
    assert a.grad is not None and b.grad is not None
    assert c.grad is not None and d.grad is not None
    adjoints = {"d_bar": d.grad, "c_bar": c.grad, "a_bar": a.grad, "b_bar": b.grad}
    prompt = (
        f"A graph computes $c = a \\cdot b$, $d = a + c$ and $L = d \\cdot c$ at "
        f"$a = {number(a0)}$, $b = {number(b0)}$. Both $a$ and $c$ fan out: $a$ feeds $c$ and "
        "$d$, and $c$ feeds $d$ and $L$. Compute the adjoints (the total derivatives of $L$) "
        "$\\bar d = \\partial L/\\partial d$, $\\bar c$, $\\bar a$ and $\\bar b$, in reverse "
        "order, adding up every path."
    )
    c0, d0 = float(c.data), float(d.data)
    steps = (
        Step("forward: c = a·b", c0, "c = ab"),
        Step("forward: d = a + c", d0, "d = a + c"),
        Step("forward: L = d·c", float(loss.data), "L = dc"),
        Step("d̄ = ∂L/∂d = c", float(d.grad), r"\bar d = c"),
        Step("c̄ = ∂L/∂c (direct) + d̄·∂d/∂c", float(c.grad), r"\bar c = d + \bar d"),
        Step("ā = d̄·∂d/∂a + c̄·∂c/∂a (both paths)", float(a.grad), r"\bar a = \bar d + \bar c\,b"),
        Step("b̄ = c̄·∂c/∂b", float(b.grad), r"\bar b = \bar c\,a"),
    )
    return Exercise(
        kind="dag_adjoints",
        seed=seed,
        title="Adjoints on a graph with fan-out",
        prompt=prompt,
        given=(Given("a", "a", np.asarray(a0)), Given("b", "b", np.asarray(b0))),
        fields=(
            AnswerField("d_bar", r"\bar d = \partial L/\partial d", ()),
            AnswerField("c_bar", r"\bar c = \partial L/\partial c", ()),
            AnswerField("a_bar", r"\bar a = \partial L/\partial a", ()),
            AnswerField("b_bar", r"\bar b = \partial L/\partial b", ()),
        ),
        solution={name: np.asarray(float(value)) for name, value in adjoints.items()},
        steps=steps,
    )


def _newton(
    v: Mapping[str, Any], hessian_scale: float = 1.0, b_sign: float = 1.0
) -> dict[str, Any]:
    a, b, x0, direction = v["A"], v["b"], v["x0"], v["v"]
    gradient = a @ x0 - b_sign * b
    step = -np.linalg.solve(hessian_scale * a, gradient)
    return {"grad": gradient, "step": step, "x1": x0 + step, "Hv": hessian_scale * a @ direction}


def _uphill(v: Mapping[str, Any]) -> dict[str, Any]:
    step = -_newton(v)["step"]
    return {"step": step, "x1": v["x0"] + step}


def _gradient_step(v: Mapping[str, Any]) -> dict[str, Any]:
    step = -_newton(v)["grad"]
    return {"step": step, "x1": v["x0"] + step}


NEWTON_MISTAKES = (
    Mistake(
        "gradient_step",
        "took a gradient step −∇f instead of the Newton step −H⁻¹∇f",
        _gradient_step,
    ),
    Mistake("step_sign", "stepped +H⁻¹∇f, uphill", _uphill),
    Mistake(
        "hessian_doubled",
        "took the Hessian of ½xᵀAx to be 2A (the ½ does not cancel)",
        lambda v: {k: w for k, w in _newton(v, hessian_scale=2.0).items() if k != "grad"},
    ),
    Mistake(
        "b_sign",
        "took the gradient to be Ax + b",
        lambda v: {k: w for k, w in _newton(v, b_sign=-1.0).items() if k != "Hv"},
    ),
)


@register(
    "newton_step",
    "A Newton step and a Hessian-vector product",
    "On f = ½xᵀAx − bᵀx: the gradient, the Newton step from x₀, and Hv.",
    NEWTON_MISTAKES,
)
def newton_step(rng: np.random.Generator, seed: int) -> Exercise:
    """A 2×2 positive definite A with integer entries; b = A x* for an integer minimiser x*."""
    numbers = Numbers(rng)
    for _ in range(1000):
        p, r = (float(value) for value in rng.integers(1, 5, size=2))
        q = float(rng.integers(-2, 3))
        minimiser = numbers.ints((2,), -2, 2)
        x0 = numbers.ints((2,), -2, 2)
        if p * r - q * q > 0 and np.any(x0 != minimiser):
            break
    a_matrix = np.array([[p, q], [q, r]])
    b = a_matrix @ minimiser
    direction = numbers.nonzero_ints((2,), -2, 2)

    def f(x: Tensor) -> Tensor:
        return 0.5 * (x @ (Tensor(a_matrix) @ x)) - Tensor(b) @ x

    gradient = grad(f)(x0)
    curvature = hessian(f, x0)  # one hvp per coordinate
    step = -np.linalg.solve(curvature, gradient)
    hv = hvp(f, x0, direction)  # forward over reverse: no Hessian is formed
    prompt = (
        "Let $f(x) = \\tfrac12 x^\\top A x - b^\\top x$ on $\\mathbb{R}^2$ with the symmetric "
        "positive definite $A$ and the $b$ below. From $x_0$, compute the gradient "
        "$\\nabla f(x_0)$, the Newton step $\\Delta = -H^{-1}\\nabla f(x_0)$ (with $H$ the "
        "Hessian of $f$), the new point $x_1 = x_0 + \\Delta$, and the Hessian-vector "
        "product $Hv$ for the given $v$."
    )
    steps = (
        Step("∇f(x0) = A x0 − b", gradient, r"\nabla f = Ax_0 - b"),
        Step("H = A (the ½ cancels the 2 of the quadratic)", curvature, "H = A"),
        Step("Δ = −H⁻¹ ∇f(x0)", step, r"\Delta = -A^{-1}(Ax_0 - b)"),
        Step("x1 = x0 + Δ (the minimiser: f is quadratic)", x0 + step, r"x_1 = A^{-1} b"),
        Step("Hv, by forward-over-reverse", hv, "Hv = Av"),
    )
    return Exercise(
        kind="newton_step",
        seed=seed,
        title="A Newton step and a Hessian-vector product",
        prompt=prompt,
        given=(
            Given("A", "A", a_matrix),
            Given("b", "b", b),
            Given("x0", "x_0", x0),
            Given("v", "v", direction),
        ),
        fields=(
            AnswerField("grad", r"\nabla f(x_0)", (2,)),
            AnswerField("step", r"\Delta", (2,)),
            AnswerField("x1", "x_1", (2,)),
            AnswerField("Hv", "Hv", (2,)),
        ),
        solution={
            "grad": np.asarray(gradient, dtype=np.float64),
            "step": np.asarray(step, dtype=np.float64),
            "x1": np.asarray(x0 + step, dtype=np.float64),
            "Hv": np.asarray(hv, dtype=np.float64),
        },
        steps=steps,
    )
