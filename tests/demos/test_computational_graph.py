"""computational_graph: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import computational_graph as module  # registers it
from app.demos import get_demo
from app.engine import arith, autograd

DEMO = get_demo("computational_graph")
HAND = "the engine's adjoints match the hand derivation"
PATHS = "a feeds two nodes, so ā is the sum of its two paths"
DIRECT = "ā equals the derivative of L = (ab + a)² written out directly"


@pytest.mark.parametrize("values", [(0.0, 0.0), (-5.0, 5.0), (1.5, -1.0), (3.0, 0.25)])
def test_every_check_passes_for_chosen_inputs(values: tuple[float, float]) -> None:
    demo = DEMO.run_with({"a": values[0], "b": values[1]})
    assert demo.passed, [c for c in demo.checks if not c.passed]


def test_the_graph_is_the_cards_dag_with_a_value_and_an_adjoint_per_node() -> None:
    demo = DEMO.run_with({"a": 2.0, "b": 3.0})
    assert demo.graph is not None
    nodes = {node.label: node for node in demo.graph.nodes}
    assert set(nodes) == {"a", "b", "c", "d", "L"}
    # c = 6, d = 8, L = 64; d̄ = 16, c̄ = 16, b̄ = 32, ā = 3·16 + 16 = 64.
    assert {k: float(n.value) for k, n in nodes.items()} == {
        "a": 2,
        "b": 3,
        "c": 6,
        "d": 8,
        "L": 64,
    }
    assert {k: float(np.asarray(n.grad)) for k, n in nodes.items()} == {
        "a": 64,
        "b": 32,
        "c": 16,
        "d": 16,
        "L": 1,
    }
    edges = {(nodes_by_id(demo)[p], nodes_by_id(demo)[c]) for p, c in demo.graph.edges}
    assert edges == {("a", "c"), ("b", "c"), ("c", "d"), ("a", "d"), ("d", "L")}


def nodes_by_id(demo: Any) -> dict[str, str]:
    """Graph node id -> label."""
    return {node.id: node.label for node in demo.graph.nodes}


def test_a_skewed_mul_rule_fails_the_hand_direct_and_finite_difference_checks(
    skew: Callable[..., None],
) -> None:
    skew(arith, "mul_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(HAND).passed
    assert not demo.check(DIRECT).passed
    assert not demo.check("analytic ∂L/∂a equals central differences").passed
    assert not demo.check("analytic ∂L/∂b equals central differences").passed


def test_overwriting_instead_of_summing_fails_the_two_paths_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The pitfall the card names: a node keeps only its latest consumer's contribution.
    def overwrite(grads: dict[Any, Any], node: Any, g: Any) -> None:
        grads[node] = g

    monkeypatch.setattr(autograd, "_add", overwrite)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(PATHS).passed
    assert not demo.check(HAND).passed
    assert not demo.check(DIRECT).passed


def test_dropping_a_path_fails_the_two_paths_check(monkeypatch: pytest.MonkeyPatch) -> None:
    original = module.path_gradients
    monkeypatch.setattr(module, "path_gradients", lambda a, b: (original(a, b)[0], 0.0))
    assert not DEMO.run_with({"seed": 0}).check(PATHS).passed


@pytest.mark.parametrize("params", [{"a": 5.1}, {"b": -6}, {"seed": -1}, {"c": 1.0}, {"a": "x"}])
def test_out_of_range_params_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
