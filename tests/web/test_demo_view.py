"""Presentation helpers of the demo section: values, the graph layout and the params form."""

from __future__ import annotations

import numpy as np

from app.demos.base import Graph, GraphNode
from app.demos.linear_backward import LinearBackwardParams
from app.web.demo_view import BOX_W, GAP_X, graph_layout, param_fields, value_view


def node(node_id: str, op: str = "leaf", grad: float | None = 1.0) -> GraphNode:
    return GraphNode(
        node_id, node_id, op, (), np.array(2.0), None if grad is None else np.array(grad)
    )


def test_values_become_scalars_rows_or_messages() -> None:
    assert value_view(3.0).text == "3"
    vector = value_view(np.array([1.0, -2.5]))
    assert (vector.kind, vector.shape, vector.rows) == ("vector", "2", [["1", "−2.5"]])
    big = value_view(np.zeros((10, 3)))
    assert big.kind == "matrix" and len(big.rows) == 8 and big.elided
    assert value_view("RuntimeError: freed").kind == "text"
    assert value_view(np.zeros((2, 3, 4))).kind == "tensor"


def test_graph_layout_puts_each_input_just_left_of_its_consumer() -> None:
    # x -> a -> b -> c, and w feeds only c: w is drawn in c's column minus one, not column 0.
    graph = Graph(
        nodes=[node("x"), node("a", "exp"), node("b", "exp"), node("w"), node("c", "mul")],
        edges=[("x", "a"), ("a", "b"), ("b", "c"), ("w", "c")],
        backward_order=["c", "b", "w", "a", "x"],
    )
    layout = graph_layout(graph)
    column = {box.id: (box.x - 12) // (BOX_W + GAP_X) for box in layout.nodes}
    assert column == {"x": 0, "a": 1, "b": 2, "w": 2, "c": 3}
    assert {box.id: box.visit for box in layout.nodes}["c"] == 1
    assert len(layout.edges) == 4
    assert layout.width >= 4 * BOX_W


def test_param_fields_carry_bounds_and_current_values() -> None:
    fields = {
        f.name: f for f in param_fields(LinearBackwardParams.model_json_schema(), {"batch": 7})
    }
    assert (fields["batch"].value, fields["batch"].minimum, fields["batch"].maximum) == (7, 1, 32)
    assert fields["seed"].step == "1"
    assert fields["n_in"].value == 3  # the default when no value is given
