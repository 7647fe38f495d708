"""Scalar and elementwise derivatives: the chain rule, and sigmoid/tanh from their outputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, sigmoid, tanh
from app.exercises.base import AnswerField, Exercise, Given, Mistake, Numbers, register
from app.exercises.text import number, poly, shifted

# u = g(x) and y = f(u) by name: the engine runs them forward and differentiates them; the
# mistakes need their derivatives by hand.
INNER: dict[str, Callable[[Tensor, float, float], Tensor]] = {
    "linear": lambda x, a, b: x * a + b,
    "square": lambda x, a, b: x**2 * a + b,
}
OUTER: dict[str, Callable[[Tensor], Tensor]] = {
    "square": lambda u: u**2,
    "cube": lambda u: u**3,
    "shifted": lambda u: (u - 1) ** 2,
}


def inner_tex(inner: str, a: float, b: float) -> str:
    """'u = 3x - 2', 'u = x^2 + 1', 'u = -x^2' (through the one polynomial formatter)."""
    return "u = " + poly([(a, "x^2" if inner == "square" else "x"), (b, "")])


def outer_tex(outer: str) -> str:
    """'y = u^2', 'y = u^3', 'y = (u - 1)^2'."""
    return {"square": "y = u^2", "cube": "y = u^3", "shifted": f"y = ({shifted('u', -1)})^2"}[outer]


def outer_derivative(outer: str, t: float) -> float:
    """f'(t) for the outer function f."""
    return {"square": 2 * t, "cube": 3 * t**2, "shifted": 2 * (t - 1)}[outer]


def inner_derivative(inner: str, x: float, a: float) -> float:
    """g'(x) for the inner function g."""
    return 2 * a * x if inner == "square" else a


def inner_value(inner: str, x: float, a: float, b: float) -> float:
    return a * x**2 + b if inner == "square" else a * x + b


def _outer_at_x(v: Mapping[str, Any]) -> dict[str, float]:
    x, a = float(v["x"]), float(v["a"])
    wrong = outer_derivative(v["outer"], x)
    return {"dydu": wrong, "dydx": wrong * inner_derivative(v["inner"], x, a)}


def _inner_forgotten(v: Mapping[str, Any]) -> dict[str, float]:
    u = inner_value(v["inner"], float(v["x"]), float(v["a"]), float(v["b"]))
    return {"dydx": outer_derivative(v["outer"], u)}


CHAIN_RULE_MISTAKES = (
    Mistake(
        "outer_at_x", "evaluated the outer derivative f' at x instead of at u = g(x)", _outer_at_x
    ),
    Mistake("inner_forgotten", "stopped at dy/du: forgot to multiply by du/dx", _inner_forgotten),
)


@register(
    "chain_rule",
    "Scalar chain rule",
    "Differentiate y = f(g(x)) one link at a time.",
    CHAIN_RULE_MISTAKES,
)
def chain_rule(rng: np.random.Generator, seed: int) -> Exercise:
    """y = f(u), u = g(x) with small integers: du/dx, dy/du and their product dy/dx."""
    numbers = Numbers(rng)
    inner_name = list(INNER)[int(rng.integers(len(INNER)))]
    outer_name = list(OUTER)[int(rng.integers(len(OUTER)))]
    inner, outer = INNER[inner_name], OUTER[outer_name]
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
    u_tex, y_tex = inner_tex(inner_name, a, b), outer_tex(outer_name)
    assert x.grad is not None and u.grad is not None
    dydx, dydu = float(x.grad), float(u.grad)
    x_alone = Tensor(x0, requires_grad=True)  # du/dx from its own graph: no division by dy/du
    inner(x_alone, a, b).backward()
    assert x_alone.grad is not None
    dudx = float(x_alone.grad)

    prompt = (
        f"Let ${u_tex}$ and ${y_tex}$. At $x = {number(x0)}$, compute "
        "$du/dx$, $dy/du$ (evaluated at the value of $u$ there) and $dy/dx$."
    )
    steps = (
        Step("u at x", float(u.data), u_tex),
        Step("y at u", float(y.data), y_tex),
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
        params={"inner": inner_name, "outer": outer_name},
    )


# Outputs whose local derivatives are short decimals: σ' = a(1 - a), tanh' = 1 - a².
SIGMOID_OUTPUTS = [0.1, 0.2, 0.25, 0.5, 0.75, 0.8, 0.9]
TANH_OUTPUTS = [-0.8, -0.6, -0.5, 0.0, 0.5, 0.6, 0.8]


def _with_upstream(v: Mapping[str, Any], local: np.ndarray) -> dict[str, np.ndarray]:
    return {"dadz": local, "dz": v["g"] * local}


def _only(function: str, rule: Callable[[np.ndarray], np.ndarray]) -> Callable[..., Any]:
    """A mistake that only the sigmoid (or only the tanh) draws can show."""

    def answer(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
        return _with_upstream(v, rule(v["a"])) if v["function"] == function else {}

    return answer


def _sigmoid_of(t: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-t)))


ACTIVATION_MISTAKES = (
    Mistake(
        "sigmoid_one_minus_s",
        "took σ' = 1 − σ (dropped the factor σ)",
        _only("sigmoid", lambda a: 1 - a),
    ),
    Mistake(
        "sigmoid_of_output",
        "applied σ'(z) = σ(z)(1 − σ(z)) to the output a as if it were z",
        _only("sigmoid", lambda a: _sigmoid_of(a) * (1 - _sigmoid_of(a))),
    ),
    Mistake(
        "tanh_one_minus_a", "took tanh' = 1 − a (forgot the square)", _only("tanh", lambda a: 1 - a)
    ),
    Mistake(
        "tanh_sigmoid_rule",
        "used the sigmoid's rule a(1 − a) for tanh",
        _only("tanh", lambda a: a * (1 - a)),
    ),
    Mistake(
        "upstream_forgotten",
        "passed back the local derivative alone, without multiplying by g",
        lambda v: {"dz": v["a"] * (1 - v["a"]) if v["function"] == "sigmoid" else 1 - v["a"] ** 2},
    ),
)


@register(
    "activation_derivative",
    "Sigmoid and tanh derivatives",
    "Local derivative of sigmoid or tanh from its output, then the gradient it passes back.",
    ACTIVATION_MISTAKES,
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
        params={"function": "sigmoid" if use_sigmoid else "tanh"},
    )
