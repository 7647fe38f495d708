"""Card 4: the order backward visits a residual MLP's graph in, and each adjoint's shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks, shape_text
from app.demos.graph import graph_of
from app.demos.registry import register
from app.engine import Tensor, linear, mse_loss, topological_order

PARAM_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


class BackwardOrderParams(DemoParams):
    batch: int = Field(default=3, ge=1, le=8, description="Rows of X (examples in the batch).")
    width: int = Field(default=3, ge=1, le=6, description="Features d of X, H₁ and H₂.")
    n_out: int = Field(default=2, ge=1, le=4, description="Outputs k.")


def network(x: Tensor, *params: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Two residual blocks Hₗ = Hₗ₋₁ + tanh(Hₗ₋₁ Wₗᵀ + bₗ), a linear head, and the loss's input.

    Returns the output Z₃ and the named intermediates. H₁ feeds two consumers (Z₂ and H₂), so
    its adjoint is complete only once both have run.
    """
    w1, b1, w2, b2, w3, b3 = params
    z1 = linear(x, w1, b1)
    t1 = z1.tanh()
    h1 = x + t1
    z2 = linear(h1, w2, b2)
    t2 = z2.tanh()
    h2 = h1 + t2
    z3 = linear(h2, w3, b3)
    named = {"Z1": z1, "T1": t1, "H1": h1, "Z2": z2, "T2": t2, "H2": h2, "Z3": z3}
    for name, node in named.items():
        node.name = name
    return z3, named


def _logged(rule: Callable[..., tuple], node: Tensor, visits: list[Tensor]) -> Callable[..., tuple]:
    def run(*args: Any) -> tuple:
        visits.append(node)
        return rule(*args)

    return run


def record_visits(root: Tensor) -> list[Tensor]:
    """Log each op node when backward runs its gradient rule (the list fills during backward).

    The engine has no backward hooks, so each node's rule is wrapped in place.
    """
    visits: list[Tensor] = []
    for node in topological_order(root):
        if node._vjp is not None:
            node._vjp = _logged(node._vjp, node, visits)
    return visits


def out_of_order(visits: list[Tensor], nodes: list[Tensor]) -> int:
    """Op nodes whose rule did not run exactly once, after the rules of all their consumers."""
    position = {node: i for i, node in enumerate(visits)}
    bad = 0
    for node in nodes:
        if node.is_leaf:
            continue
        consumers = [c for c in nodes if any(p is node for p in c.parents)]
        if visits.count(node) != 1 or any(
            position.get(c, len(visits)) > position[node] for c in consumers
        ):
            bad += 1
    return bad


def label(node: Tensor) -> str:
    """The node's name, or its op when it has none."""
    return node.name or node.op


def tex_name(name: str) -> str:
    """W1 -> W_1, for KaTeX."""
    return f"{name[:-1]}_{name[-1]}" if name[-1:].isdigit() else name


@register(
    "backward_order",
    "The order of the backward pass",
    BackwardOrderParams,
    rules=("autograd.order", "autograd.fan_out", "linear.vjp", "tanh.vjp", "mse_loss.vjp"),
)
def backward_order(params: BackwardOrderParams) -> Demo:
    """Run the demo: the order of the backward pass."""
    rng = params.rng()
    B, d, k = params.batch, params.width, params.n_out
    x_data = np.round(rng.standard_normal((B, d)), 2)
    y_data = np.round(rng.standard_normal((B, k)), 2)
    shapes = [(d, d), (d,), (d, d), (d,), (k, d), (k,)]
    arrays = [np.round(rng.standard_normal(s) / np.sqrt(d), 2) for s in shapes]

    x = Tensor(x_data, requires_grad=True, name="X")
    leaves = [
        Tensor(a, requires_grad=True, name=n) for a, n in zip(arrays, PARAM_NAMES, strict=True)
    ]
    z3, named = network(x, *leaves)
    loss = mse_loss(z3, y_data)
    loss.name = "L"
    for node in [*named.values(), loss]:
        node.retain_grad()  # the adjoints of intermediates are shown too
    nodes = topological_order(loss)
    visits = record_visits(loss)
    loss.backward(retain_graph=True)  # keep the links: the graph is shown afterwards

    mismatched = [n for n in nodes if n.grad is None or n.grad.shape != n.shape]
    order = " → ".join(label(n) for n in visits)
    steps = [
        Step("X", x_data, r"X \in \mathbb{R}^{B\times d}", shape_text(x_data.shape)),
        Step("Y", y_data, r"Y \in \mathbb{R}^{B\times k}", shape_text(y_data.shape)),
        Step(
            "L",
            loss.item(),
            r"L = \operatorname{mean}\big((Z_3 - Y)^2\big)",
            "H₁ = X + tanh(X W₁ᵀ + b₁), H₂ = H₁ + tanh(H₁ W₂ᵀ + b₂), Z₃ = H₂ W₃ᵀ + b₃",
        ),
        Step(
            "order the ops ran their VJPs in",
            order,
            None,
            "reverse topological order: H₁ waits for both of its consumers, Z₂ and H₂",
        ),
    ]
    for node in [*visits, *(n for n in reversed(nodes) if n.is_leaf)]:
        grad = node.grad if node.grad is not None else np.full(node.shape, np.nan)
        steps.append(
            Step(
                f"adjoint of {label(node)}",
                grad,
                rf"\bar{{{tex_name(label(node))}}} = \partial L/\partial {tex_name(label(node))}",
                f"{shape_text(grad.shape)}, like {label(node)} ({shape_text(node.shape)})",
            )
        )

    def loss_of(x: Tensor, *params: Tensor) -> Tensor:
        return mse_loss(network(x, *params)[0], y_data)

    checks = [
        Check.equal(
            "every op ran its VJP exactly once, after the VJPs of all the ops that consume its "
            "output",
            out_of_order(visits, nodes),
            0,
        ),
        Check.equal(
            f"every adjoint has its node's shape (all {len(nodes)} nodes)", len(mismatched), 0
        ),
        *finite_difference_checks(
            loss_of, [x_data, *arrays], [f"∂L/∂{n}" for n in ("X", *PARAM_NAMES)]
        ),
    ]
    return Demo(
        name="backward_order",
        title="The order of the backward pass",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        graph=graph_of(loss),
        summary=(
            f"Backward ran the {len(visits)} ops' VJPs in the order {order}: each only after "
            f"all its consumers, and all {len(nodes)} adjoints "
            f"{'have' if not mismatched else 'do not all have'} their node's shape."
        ),
    )
