"""Card 12: the DAG of c = ab, d = c + a, L = d²: values and adjoints per node, paths that add."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks, max_abs_difference
from app.demos.graph import graph_of
from app.demos.registry import register
from app.engine import Tensor

EXACT = 1e-12  # the engine and the hand derivation do the same few float operations


UNSET = frozenset({"", "none", "null"})  # what a form or query sends for "no value"


class ComputationalGraphParams(DemoParams):
    a: float | None = Field(default=None, ge=-5, le=5, description="Input a (random if unset).")
    b: float | None = Field(default=None, ge=-5, le=5, description="Input b (random if unset).")

    @field_validator("a", "b", mode="before")
    @classmethod
    def empty_means_unset(cls, value: Any) -> Any:
        """An empty form field (`a=&b=`, as "New seed" sends) means: draw it from the seed."""
        if isinstance(value, str) and value.strip().lower() in UNSET:
            return None
        return value


@dataclass(frozen=True)
class Nodes:
    """The card's graph, built by the engine: a feeds both c = ab and d = c + a."""

    a: Tensor
    b: Tensor
    c: Tensor
    d: Tensor
    loss: Tensor


def build(a_value: float, b_value: float) -> Nodes:
    """Record c = ab, d = c + a, L = d², keeping the intermediates' gradients."""
    a = Tensor(a_value, requires_grad=True, name="a")
    b = Tensor(b_value, requires_grad=True, name="b")
    c = a * b
    d = c + a
    loss = d**2
    for node, name in ((c, "c"), (d, "d"), (loss, "L")):
        node.name = name
        node.retain_grad()
    return Nodes(a, b, c, d, loss)


def loss_of(a: Tensor, b: Tensor) -> Tensor:
    """L = (ab + a)² as one function, for central differences."""
    d = a * b + a
    return d**2


def path_gradients(a_value: float, b_value: float) -> tuple[float, float]:
    """∂L/∂a along each path alone: the other use of a is a constant (a detached copy)."""
    a = Tensor(a_value, requires_grad=True)
    d = a * b_value + Tensor(a_value)  # only the path through c
    (d**2).backward()
    through_c = float(np.asarray(a.grad))
    a = Tensor(a_value, requires_grad=True)
    d = Tensor(a_value) * b_value + a  # only the direct path into d
    (d**2).backward()
    return through_c, float(np.asarray(a.grad))


def hand_adjoints(a: float, b: float, d: float) -> dict[str, float]:
    """The card's derivation, in reverse order: d̄ = 2d, c̄ = d̄, b̄ = a c̄, ā = b c̄ + d̄."""
    d_bar = 2 * d
    c_bar = d_bar
    return {"L": 1.0, "d": d_bar, "c": c_bar, "b": a * c_bar, "a": b * c_bar + d_bar}


@register(
    "computational_graph",
    "The computational graph of L = (ab + a)²",
    ComputationalGraphParams,
    rules=("autograd.fan_out", "mul.vjp", "add.vjp", "pow.vjp"),
)
def computational_graph(params: ComputationalGraphParams) -> Demo:
    """Run the demo: the computational graph of L = (ab + a)²."""
    rng = params.rng()
    # One decimal keeps the arithmetic checkable by hand.
    drawn = rng.integers(-30, 31, size=2) / 10
    a_value = float(drawn[0]) if params.a is None else params.a
    b_value = float(drawn[1]) if params.b is None else params.b

    nodes = build(a_value, b_value)
    nodes.loss.backward(retain_graph=True)  # the graph is shown afterwards, so keep its links
    engine = {
        name: float(np.asarray(getattr(nodes, attr).grad))
        for name, attr in (("a", "a"), ("b", "b"), ("c", "c"), ("d", "d"), ("L", "loss"))
    }
    c, d, loss = nodes.c.item(), nodes.d.item(), nodes.loss.item()
    hand = hand_adjoints(a_value, b_value, d)
    through_c, through_d = path_gradients(a_value, b_value)
    direct = 2 * (a_value * b_value + a_value) * (b_value + 1)

    steps = [
        Step("a", a_value, r"a"),
        Step("b", b_value, r"b"),
        Step("c = a·b", c, r"c = ab"),
        Step("d = c + a", d, r"d = c + a", "a is used twice: by c and by d"),
        Step("L = d²", loss, r"L = d^2"),
        Step("L̄ = 1 (seed)", engine["L"], r"\bar L = 1"),
        Step("d̄ = 2d", engine["d"], r"\bar d = 2d"),
        Step("c̄ = d̄", engine["c"], r"\bar c = \bar d"),
        Step("b̄ = a·c̄", engine["b"], r"\bar b = a\,\bar c = 2ad"),
        Step("a's path through c: b·c̄", through_c, r"b\,\bar c"),
        Step("a's path straight into d: d̄", through_d, r"\bar d"),
        Step("ā = b·c̄ + d̄", engine["a"], r"\bar a = b\,\bar c + \bar d = 2d(b + 1)"),
        Step("∂L/∂a from L = (ab + a)² directly", direct, r"2(ab + a)(b + 1)"),
    ]
    checks = [
        Check.at_most(
            "the engine's adjoints match the hand derivation d̄ = 2d, c̄ = d̄, b̄ = a·c̄, ā = b·c̄ + d̄",
            max(max_abs_difference(engine[k], hand[k]) for k in hand),
            EXACT,
        ),
        Check.at_most(
            "a feeds two nodes, so ā is the sum of its two paths, b·c̄ through c plus d̄ into d",
            abs(engine["a"] - (through_c + through_d)),
            EXACT,
        ),
        Check.at_most(
            "ā equals the derivative of L = (ab + a)² written out directly, 2(ab + a)(b + 1)",
            abs(engine["a"] - direct),
            EXACT * max(1.0, abs(direct)),
        ),
        *finite_difference_checks(
            loss_of, [np.array(a_value), np.array(b_value)], ["∂L/∂a", "∂L/∂b"]
        ),
    ]
    return Demo(
        name="computational_graph",
        title="The computational graph of L = (ab + a)²",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        graph=graph_of(nodes.loss),
        summary=(
            f"With a = {a_value:g} and b = {b_value:g}, L = {loss:g}; a feeds both c and d, so "
            f"its adjoint {engine['a']:g} is the sum of {through_c:g} (through c) and "
            f"{through_d:g} (straight into d), as 2(ab + a)(b + 1) = {direct:g} confirms."
        ),
    )
