"""Shape a Demo for the card page: numbers formatted, matrices as rows, the graph laid out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from app.api.catalog_cache import CardPageView
from app.demos import UnknownDemo, get_demo
from app.demos.base import DemoParams, Graph, StepValue
from app.demos.running import DemoParamsError, validated_params
from app.demos.serialize import chart_to_dict
from app.demos.text import format_number
from app.models import Card

MAX_SHOWN = 8  # rows or columns of a matrix shown before eliding the rest


@dataclass(frozen=True)
class ValueView:
    """A step value ready for a table: kind, shape text and rows of formatted cells."""

    kind: str  # scalar | vector | matrix | text | tensor
    shape: str
    rows: list[list[str]] = field(default_factory=list)
    text: str = ""
    elided: bool = False


def value_view(value: StepValue) -> ValueView:
    """Present a step's value (a number, an array of any rank, or a message)."""
    if isinstance(value, str):
        return ValueView("text", "", text=value)
    array = np.asarray(value)
    shape = "×".join(str(n) for n in array.shape)
    if array.ndim == 0:
        return ValueView("scalar", "scalar", text=format_number(array))
    if array.ndim > 2:  # a batch of matrices: show the first, say so
        return ValueView(
            "tensor", shape, _rows(array.reshape(-1, *array.shape[-2:])[0]), elided=True
        )
    matrix = array.reshape(1, -1) if array.ndim == 1 else array
    elided = matrix.shape[0] > MAX_SHOWN or matrix.shape[1] > MAX_SHOWN
    return ValueView("vector" if array.ndim == 1 else "matrix", shape, _rows(matrix), elided=elided)


def _rows(matrix: np.ndarray) -> list[list[str]]:
    shown = matrix[:MAX_SHOWN, :MAX_SHOWN]
    return [[format_number(cell) for cell in row] for row in shown]


@dataclass(frozen=True)
class NodeBox:
    id: str
    x: int
    y: int
    label: str
    op: str
    value: str
    grad: str
    visit: int  # 1 = first node backward visits


@dataclass(frozen=True)
class GraphLayout:
    width: int
    height: int
    nodes: list[NodeBox]
    edges: list[tuple[int, int, int, int]]  # x1, y1, x2, y2


BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 66, 60, 22, 12


def graph_layout(graph: Graph) -> GraphLayout:
    """Columns by depth from the inputs (a layered DAG drawing), rows in forward order."""
    parents: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for parent, child in graph.edges:
        parents[child].append(parent)
    depth: dict[str, int] = {}
    for node in graph.nodes:  # forward order: parents come first
        depth[node.id] = 1 + max((depth[p] for p in parents[node.id]), default=-1)
    # Draw each input just left of its first consumer, so edges stay short (W3 beside Z3).
    children: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for parent, child in graph.edges:
        children[parent].append(child)
    for node in graph.nodes:
        if not parents[node.id] and children[node.id]:
            depth[node.id] = min(depth[child] for child in children[node.id]) - 1
    rows: dict[int, int] = {}
    position: dict[str, tuple[int, int]] = {}
    for node in graph.nodes:
        column = depth[node.id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        position[node.id] = (
            MARGIN + column * (BOX_W + GAP_X),
            MARGIN + row * (BOX_H + GAP_Y),
        )
    _unblock_edges(graph, depth, rows, position)
    visit = {node_id: index + 1 for index, node_id in enumerate(graph.backward_order)}
    boxes = [
        NodeBox(
            id=node.id,
            x=position[node.id][0],
            y=position[node.id][1],
            label=node.label,
            op=node.op,
            value=_brief(node.value),
            grad="—" if node.grad is None else _brief(node.grad),
            visit=visit.get(node.id, 0),
        )
        for node in graph.nodes
    ]
    edges = [_edge_line(position, parent, child) for parent, child in graph.edges]
    columns = 1 + max(depth.values(), default=0)
    height_rows = max(rows.values(), default=1)
    return GraphLayout(
        width=2 * MARGIN + columns * BOX_W + (columns - 1) * GAP_X,
        height=2 * MARGIN + height_rows * BOX_H + (height_rows - 1) * GAP_Y,
        nodes=boxes,
        edges=edges,
    )


def _edge_line(
    position: Mapping[str, tuple[int, int]], parent: str, child: str
) -> tuple[int, int, int, int]:
    """An edge from the parent's right side to the child's left side, mid-height."""
    return (
        position[parent][0] + BOX_W,
        position[parent][1] + BOX_H // 2,
        position[child][0],
        position[child][1] + BOX_H // 2,
    )


def _crosses(line: tuple[int, int, int, int], corner: tuple[int, int]) -> bool:
    """Whether the straight line passes through the box whose top-left corner is `corner`."""
    x1, y1, x2, y2 = line
    left, top = corner
    for i in range(1, 64):
        t = i / 64
        x, y = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
        if left < x < left + BOX_W and top < y < top + BOX_H:
            return True
    return False


def _unblock_edges(
    graph: Graph,
    depth: Mapping[str, int],
    rows: dict[int, int],
    position: dict[str, tuple[int, int]],
) -> None:
    """Move a box that an edge would be drawn through (a→d skipping past c, where a fans out
    to both) to a new row of its column, so every edge stays visible."""
    for _ in range(len(graph.nodes)):
        moved = False
        for parent, child in graph.edges:
            line = _edge_line(position, parent, child)
            for node in graph.nodes:
                if node.id in (parent, child) or not _crosses(line, position[node.id]):
                    continue
                column = depth[node.id]
                position[node.id] = (position[node.id][0], MARGIN + rows[column] * (BOX_H + GAP_Y))
                rows[column] += 1
                moved = True
                line = _edge_line(position, parent, child)
        if not moved:
            return


def _brief(array: np.ndarray) -> str:
    """A scalar's value, or an array's shape."""
    if array.size == 1:
        return format_number(array.reshape(-1)[0], 3)
    return "×".join(str(n) for n in array.shape)


@dataclass(frozen=True)
class ParamField:
    name: str
    label: str
    kind: str  # number | integer | checkbox | select
    value: Any
    minimum: Any = None
    maximum: Any = None
    step: str = "any"
    options: list[str] = field(default_factory=list)
    help: str = ""
    required: bool = True  # False for an optional field (None: the demo picks the value)


@lru_cache(maxsize=64)
def params_schema(model: type[DemoParams]) -> dict[str, Any]:
    """A params model's JSON Schema, built once per model (every page view needs it)."""
    return model.model_json_schema()


def param_fields(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[ParamField]:
    """Form fields from a params model's JSON Schema, filled with the current values."""
    fields = []
    for name, prop in schema.get("properties", {}).items():
        value = values.get(name, prop.get("default"))
        # `float | None` is anyOf [{number, bounds}, {null}]: the field is the number, optional.
        branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
        optional = len(branches) < len(prop.get("anyOf", []))
        if len(branches) == 1:
            prop = {**prop, **branches[0]}
        common = {
            "name": name,
            "label": name.replace("_", " "),
            "help": prop.get("description", ""),
        }
        if "enum" in prop:
            fields.append(ParamField(kind="select", value=value, options=prop["enum"], **common))
        elif prop.get("type") == "boolean":
            fields.append(ParamField(kind="checkbox", value=bool(value), **common))
        else:
            integer = prop.get("type") == "integer"
            fields.append(
                ParamField(
                    kind="integer" if integer else "number",
                    value="" if value is None else value,  # never the text "None"
                    minimum=prop.get("minimum", prop.get("exclusiveMinimum")),
                    maximum=prop.get("maximum", prop.get("exclusiveMaximum")),
                    step="1" if integer else "any",
                    required=not optional,
                    **common,
                )
            )
    return fields


def card_demo_context(
    card: Card | CardPageView, query: Iterable[tuple[str, str]]
) -> dict[str, Any] | None:
    """Everything _demo.html needs for a card's demo; None when the card has no demo."""
    if card.demo_name is None:
        return None
    return demo_context(card.demo_name, card.demo_params, query)


def demo_context(
    name: str, defaults: Mapping[str, Any], query: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """Run demo `name` for a page: the demo and its views, or the error, plus the params form.

    "status" is 422 when the params were refused (the form is still shown, with the message).
    """
    items = list(query)
    try:
        spec = get_demo(name)
    except UnknownDemo:
        return {"error": f"There is no demo called {name!r}.", "status": 404, "spec": None}
    context: dict[str, Any] = {"spec": spec, "status": 200}
    values: dict[str, Any] = {**defaults, **dict(items)}
    try:
        params = validated_params(name, defaults, items)
    except DemoParamsError as error:
        context.update(error=str(error), status=422)
    else:
        try:
            views = demo_views(name, params)
        except TypeError:  # params with an unhashable field (a list): run it uncached
            views = demo_views.__wrapped__(name, params)
        values = views["demo"].params
        context.update(views)
    context["fields"] = param_fields(params_schema(spec.params), values)
    return context


# The views of a demo run, by demo and validated params. A run is a pure function of its params
# (the seed included), and a card page shows its demo at the card's params on every view, so it
# is computed once per worker rather than per request. Bounded: each entry holds a few arrays,
# and visitors choose params.
@lru_cache(maxsize=128)
def demo_views(name: str, params: DemoParams) -> dict[str, Any]:
    """The demo run at `params` and what the page shows of it (steps, charts, graph layout)."""
    demo = get_demo(name).run(params)
    return {
        "demo": demo,
        "steps": [(step, value_view(step.value)) for step in demo.steps],
        "charts": [chart_to_dict(chart) for chart in demo.charts],
        "layout": graph_layout(demo.graph) if demo.graph else None,
    }
