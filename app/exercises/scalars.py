"""Scalar and elementwise derivatives: the chain rule, and sigmoid/tanh from their outputs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, sigmoid, tanh
from app.exercises.base import AnswerField, Exercise, Given, Numbers, register

# (LaTeX of u = g(x), forward) and (LaTeX of y = f(u), forward); the engine differentiates them.
INNER: list[tuple[str, Callable[[Tensor, float, float], Tensor]]] = [
    ("u = {a}x + {b}", lambda x, a, b: x * a + b),
    ("u = {a}x^2 + {b}", lambda x, a, b: x**2 * a + b),
]
OUTER: list[tuple[str, Callable[[Tensor], Tensor]]] = [
    ("y = u^2", lambda u: u**2),
    ("y = u^3", lambda u: u**3),
    ("y = (u - 1)^2", lambda u: (u - 1) ** 2),
]


@register(
    "chain_rule",
    "Scalar chain rule",
    "Differentiate y = f(g(x)) one link at a time.",
)
def chain_rule(rng: np.random.Generator, seed: int) -> Exercise:
    """y = f(u), u = g(x) with small integers: du/dx, dy/du and their product dy/dx."""
    numbers = Numbers(rng)
    inner_tex, inner = INNER[int(rng.integers(len(INNER)))]
    outer_tex, outer = OUTER[int(rng.integers(len(OUTER)))]
    for _ in range(1000):
        a = float(numbers.nonzero_ints((), -3, 3))
        b = float(numbers.ints((), -2, 2))
        x0 = float(numbers.nonzero_ints((), -2, 2))
        x = Tensor(x0, requires_grad=True)
        u = inner(x, a, b).retain_grad()
        y = outer(u)
        y.backward()
        assert x.grad is not None and u.grad is not None
        # Keep u small and non-zero and the answer modest: numbers to cube in one's head.
        if 0 < abs(u.item()) <= 3 and abs(float(x.grad)) <= 60:
            break
    u_tex = inner_tex.format(a=_int(a), b=_int(b)).replace("+ -", "- ")
    assert x.grad is not None and u.grad is not None
    dydx, dydu = float(x.grad), float(u.grad)
    x_alone = Tensor(x0, requires_grad=True)  # du/dx from its own graph: no division by dy/du
    inner(x_alone, a, b).backward()
    assert x_alone.grad is not None
    dudx = float(x_alone.grad)

    prompt = (
        f"Let ${u_tex}$ and ${outer_tex}$. At $x = {_int(x0)}$, compute "
        "$du/dx$, $dy/du$ (evaluated at the value of $u$ there) and $dy/dx$."
    )
    steps = (
        Step("u at x", float(u.data), u_tex),
        Step("y at u", float(y.data), outer_tex),
        Step("du/dx", dudx, r"\frac{du}{dx}"),
        Step("dy/du, evaluated at u", dydu, r"\frac{dy}{du}"),
        Step("dy/dx = dy/du · du/dx", dydx, r"\frac{dy}{dx} = \frac{dy}{du}\,\frac{du}{dx}"),
    )
    return Exercise(
        kind="chain_rule",
        seed=seed,
        title="Scalar chain rule",
        prompt=prompt,
        given=(
            Given("x", "x", np.asarray(x0)),
            Given("a", "a", np.asarray(a), note="the coefficient in u"),
            Given("b", "b", np.asarray(b), note="the constant in u"),
        ),
        fields=(
            AnswerField("dudx", r"du/dx", ()),
            AnswerField("dydu", r"dy/du", ()),
            AnswerField("dydx", r"dy/dx", ()),
        ),
        solution={"dudx": np.asarray(dudx), "dydu": np.asarray(dydu), "dydx": np.asarray(dydx)},
        steps=steps,
    )


# Outputs whose local derivatives are short decimals: σ' = a(1 - a), tanh' = 1 - a².
SIGMOID_OUTPUTS = [0.1, 0.2, 0.25, 0.5, 0.75, 0.8, 0.9]
TANH_OUTPUTS = [-0.8, -0.6, -0.5, 0.0, 0.5, 0.6, 0.8]


@register(
    "activation_derivative",
    "Sigmoid and tanh derivatives",
    "Local derivative of sigmoid or tanh from its output, then the gradient it passes back.",
)
def activation_derivative(rng: np.random.Generator, seed: int) -> Exercise:
    """a = σ(z) or tanh(z) given by its outputs; the local derivative and g ⊙ it."""
    numbers = Numbers(rng)
    use_sigmoid = bool(rng.integers(2))
    outputs = np.array(
        rng.choice(SIGMOID_OUTPUTS if use_sigmoid else TANH_OUTPUTS, size=3, replace=False)
    )
    # The pre-activations whose outputs are exactly these; the engine runs forward from them.
    z0 = np.log(outputs / (1 - outputs)) if use_sigmoid else np.arctanh(outputs)
    upstream = numbers.nonzero_ints((3,), -2, 2)
    activation, name = (sigmoid, r"\sigma") if use_sigmoid else (tanh, r"\tanh")

    z = Tensor(z0, requires_grad=True)
    activation(z).backward(np.ones(3))
    assert z.grad is not None
    local = np.asarray(z.grad, dtype=np.float64)
    z = Tensor(z0, requires_grad=True)
    activation(z).backward(upstream)
    assert z.grad is not None
    dz = np.asarray(z.grad, dtype=np.float64)

    rule = r"a\,(1 - a)" if use_sigmoid else r"1 - a^2"
    prompt = (
        f"A layer applies $a = {name}(z)$ elementwise, and its outputs were $a$ below "
        "(you do not need $z$). Compute the local derivative "
        f"$\\partial a/\\partial z = {name}'(z)$ entry by entry, then the gradient the layer "
        "passes back, $\\partial L/\\partial z = g \\odot \\partial a/\\partial z$, "
        "for the upstream gradient $g = \\partial L/\\partial a$."
    )
    steps = (
        Step(f"{'σ' if use_sigmoid else 'tanh'}'(z) from the output a", local, rule),
        Step("∂L/∂z = g ⊙ local derivative", dz, r"\partial L/\partial z = g \odot " + rule),
    )
    return Exercise(
        kind="activation_derivative",
        seed=seed,
        title=f"{'Sigmoid' if use_sigmoid else 'Tanh'} derivative",
        prompt=prompt,
        given=(
            Given("a", f"a = {name}(z)", outputs),
            Given("g", r"g = \partial L/\partial a", upstream),
        ),
        fields=(
            AnswerField("dadz", r"\partial a/\partial z", (3,)),
            AnswerField("dz", r"\partial L/\partial z", (3,)),
        ),
        solution={"dadz": local, "dz": dz},
        steps=steps,
    )


def _int(value: float) -> str:
    """2.0 -> '2', 0.5 -> '0.5' (for LaTeX in prompts)."""
    return str(int(value)) if float(value).is_integer() else str(value)
