"""computational_graph: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.demos import computational_graph as module  # registers it
from app.demos import get_demo
from app.engine import arith, autograd
from app.web.demo_view import BOX_H, BOX_W, _crosses, graph_layout

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


@pytest.mark.parametrize("empty", ["", "None", " "])
def test_empty_inputs_mean_draw_them_from_the_seed(empty: str) -> None:
    # Before: "New seed" sent a=&b= and the refusal (a 422) replaced the whole demo.
    demo = DEMO.run_with({"a": empty, "b": empty, "seed": "5"})
    drawn = DEMO.run_with({"seed": 5})
    assert demo.passed and demo.params == drawn.params == {"seed": 5, "a": None, "b": None}
    assert [s.value for s in demo.steps[:2]] == [s.value for s in drawn.steps[:2]]
    assert DEMO.run_with({"a": "1.5", "b": ""}).steps[0].value == 1.5


def test_the_form_shows_empty_optional_inputs_and_new_seed_reruns(client: TestClient) -> None:
    page = client.get("/demos/computational_graph")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    fields = {i["name"]: i for i in soup.select("form.demo-form input[type=number]")}
    for name in ("a", "b"):
        field = fields[name]
        assert field.get("value") == "" and not field.has_attr("required")
        assert (field["min"], field["max"]) == ("-5", "5")
    assert 'value="None"' not in page.text
    # What the page's "New seed" button sends: every field of the form, a and b empty.
    fragment = client.get("/demos/computational_graph/fragment?seed=123&a=&b=")
    assert fragment.status_code == 200, fragment.text[:300]
    demo = BeautifulSoup(fragment.text, "html.parser")
    assert demo.select_one(".demo-error") is None
    assert demo.select(".checks .check") and not demo.select(".checks .check.fail")


def test_the_edge_from_a_to_d_is_drawn_clear_of_c() -> None:
    # Before: a, c and d sat in one row, so the a→d line ran straight through c's box.
    demo = DEMO.run_with({"a": 2.0, "b": 3.0})
    assert demo.graph is not None
    layout = graph_layout(demo.graph)
    box = {node.label: node for node in layout.nodes}
    label = nodes_by_id(demo)
    line = next(
        edge
        for (parent, child), edge in zip(demo.graph.edges, layout.edges, strict=True)
        if (label[parent], label[child]) == ("a", "d")
    )
    x1, y1, x2, y2 = line
    c = box["c"]
    for t in np.linspace(0, 1, 201):
        x, y = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
        assert not (c.x <= x <= c.x + BOX_W and c.y <= y <= c.y + BOX_H), (x, y)
    # Every other box stays clear of every edge too.
    position = {node.id: (node.x, node.y) for node in layout.nodes}
    for (parent, child), edge in zip(demo.graph.edges, layout.edges, strict=True):
        for node_id, corner in position.items():
            if node_id not in (parent, child):
                assert not _crosses(edge, corner), (label[parent], label[child], label[node_id])


@pytest.mark.parametrize("params", [{"a": 5.1}, {"b": -6}, {"seed": -1}, {"c": 1.0}, {"a": "x"}])
def test_out_of_range_params_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
