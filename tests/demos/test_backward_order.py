"""backward_order: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import backward_order as module  # registers it
from app.demos import get_demo
from app.engine import Tensor, arith, autograd

DEMO = get_demo("backward_order")
ORDER = "every op ran its VJP exactly once, after the VJPs of all the ops"
SHAPES = "every adjoint has its node's shape"


@pytest.mark.parametrize("sizes", [(1, 1, 1), (8, 6, 4)])
def test_every_check_passes_at_the_bounds(sizes: tuple[int, int, int]) -> None:
    demo = DEMO.run_with(dict(zip(("batch", "width", "n_out"), sizes, strict=True)))
    assert demo.passed, [c for c in demo.checks if not c.passed]


def test_the_visit_order_runs_from_the_loss_back_and_h1_waits_for_both_consumers() -> None:
    demo = DEMO.run_with({"seed": 0})
    order = next(s.value for s in demo.steps if s.label.startswith("order"))
    assert order == "L → Z3 → H2 → T2 → Z2 → H1 → T1 → Z1"
    assert demo.graph is not None and len(demo.graph.nodes) == 15
    labels = {node.id: node.label for node in demo.graph.nodes}
    consumers_of_h1 = {labels[c] for p, c in demo.graph.edges if labels[p] == "H1"}
    assert consumers_of_h1 == {"Z2", "H2"}
    assert all(node.grad is not None for node in demo.graph.nodes)


def test_a_node_visited_before_one_of_its_consumers_fails_the_order_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Swap H1 and Z2 in the engine's order: H1 then runs with only H2's share of its adjoint,
    # and Z2's share arrives too late.
    original = autograd.topological_order

    def swapped(root: Any, stop: frozenset[Tensor] = frozenset()) -> list[Tensor]:
        order = original(root, stop)
        names = [node.name for node in order]
        if "H1" in names and "Z2" in names:
            i, j = names.index("H1"), names.index("Z2")
            order[i], order[j] = order[j], order[i]
        return order

    monkeypatch.setattr(autograd, "topological_order", swapped)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(ORDER).passed
    assert not demo.check("analytic ∂L/∂W1 equals central differences").passed


def test_a_bias_gradient_not_summed_over_the_batch_fails_the_shape_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = arith.linear_vjp

    def unsummed(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
        grads = list(original(g, xs, out, ctx, need))
        if len(xs) == 3:
            grads[2] = g  # the bug: db keeps the batch dimension
        return tuple(grads)

    monkeypatch.setattr(arith, "linear_vjp", unsummed)
    demo = DEMO.run_with({"seed": 0, "batch": 3})
    assert not demo.check(SHAPES).passed
    assert demo.check(ORDER).passed


def test_a_skewed_linear_rule_fails_every_finite_difference_check(
    skew: Callable[..., None],
) -> None:
    skew(arith, "linear_vjp")
    demo = DEMO.run_with({"seed": 0})
    for name in ("X", *module.PARAM_NAMES):
        assert not demo.check(f"analytic ∂L/∂{name} equals central differences").passed, name
    assert demo.check(ORDER).passed and demo.check(SHAPES).passed


def test_the_order_check_counts_a_rule_that_never_ran() -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    y = (x * 2.0).tanh()
    nodes = autograd.topological_order(y)
    assert module.out_of_order([y], nodes) == 1  # the mul never ran
    assert module.out_of_order([nodes[1], y], nodes) == 1  # mul ran before its consumer
    assert module.out_of_order([y, nodes[1]], nodes) == 0


@pytest.mark.parametrize(
    "params", [{"batch": 0}, {"batch": 9}, {"width": 7}, {"n_out": 5}, {"seed": -1}, {"depth": 3}]
)
def test_out_of_range_params_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
