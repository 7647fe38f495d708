"""A Demo as JSON-ready data (the API) — arrays become nested lists with their shapes."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np

from app.demos.base import Chart, Demo, StepValue


def jsonable_number(value: float) -> float | str | None:
    """JSON has no NaN or infinity: say them in words instead of producing invalid JSON."""
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def jsonable_array(array: np.ndarray) -> dict[str, Any]:
    """{'shape': [...], 'data': nested lists} for any array (a 0-d array is a scalar)."""
    data = array.tolist()
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        data = np.vectorize(jsonable_number, otypes=[object])(array).tolist()
    return {"shape": list(array.shape), "data": data}


def jsonable_value(value: StepValue) -> Any:
    """A step's value: an array dict, a number or a string."""
    if isinstance(value, np.ndarray):
        return jsonable_array(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return jsonable_number(value)
    return value


def demo_to_dict(demo: Demo) -> dict[str, Any]:
    """Everything in the demo, JSON-serialisable."""
    graph = None
    if demo.graph is not None:
        graph = {
            "nodes": [
                {
                    "id": node.id,
                    "label": node.label,
                    "op": node.op,
                    "shape": list(node.shape),
                    "value": jsonable_array(node.value),
                    "grad": None if node.grad is None else jsonable_array(node.grad),
                }
                for node in demo.graph.nodes
            ],
            "edges": [list(edge) for edge in demo.graph.edges],
            "backward_order": demo.graph.backward_order,
        }
    return {
        "name": demo.name,
        "title": demo.title,
        "summary": demo.summary,
        "params": demo.params,
        "passed": demo.passed,
        "steps": [
            {
                "label": step.label,
                "tex": step.tex,
                "note": step.note,
                "value": jsonable_value(step.value),
            }
            for step in demo.steps
        ],
        "checks": [
            {**asdict(check), "measured": jsonable_number(check.measured)} for check in demo.checks
        ],
        "charts": [chart_to_dict(chart) for chart in demo.charts],
        "graph": graph,
    }


def chart_to_dict(chart: Chart) -> dict[str, Any]:
    """One chart, JSON-serialisable (the page hands it to Chart.js as is)."""
    return {
        **{key: value for key, value in asdict(chart).items() if key != "series"},
        "series": [
            {
                "label": series.label,
                "x": [jsonable_number(float(x)) for x in series.x],
                "y": [jsonable_number(float(y)) for y in series.y],
            }
            for series in chart.series
        ],
    }
