"""Response models of the demo API (the JSON form of app.demos.base.Demo)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

JsonNumber = float | Literal["nan", "inf", "-inf"]


class ArrayOut(BaseModel):
    shape: list[int]
    data: Any = Field(description="Nested lists of numbers (a bare number for shape []).")


class DemoStepOut(BaseModel):
    label: str
    tex: str | None
    note: str | None
    value: ArrayOut | JsonNumber | int | str


class DemoCheckOut(BaseModel):
    claim: str
    measured: JsonNumber
    bound: str = Field(description="What the measured value must satisfy, e.g. '≤ 1e-06'.")
    passed: bool
    tolerance: float | None


class SeriesOut(BaseModel):
    label: str
    x: list[JsonNumber]
    y: list[JsonNumber]


class ChartOut(BaseModel):
    title: str
    x_label: str
    y_label: str
    kind: Literal["line", "bar", "scatter"]
    log_x: bool
    log_y: bool
    y_from_zero: bool = Field(description="Start the y axis at 0 (a ratio or share is plotted).")
    x_labels: list[str] = Field(
        default_factory=list, description="Category names for the x positions of a bar chart."
    )
    series: list[SeriesOut]


class GraphNodeOut(BaseModel):
    id: str
    label: str
    op: str
    shape: list[int]
    value: ArrayOut
    grad: ArrayOut | None


class GraphOut(BaseModel):
    nodes: list[GraphNodeOut]
    edges: list[list[str]] = Field(description="[parent id, child id] pairs.")
    backward_order: list[str] = Field(description="Node ids in the order backward visits them.")


class DemoOut(BaseModel):
    name: str
    title: str
    summary: str
    params: dict[str, Any]
    passed: bool = Field(description="Every check passed.")
    steps: list[DemoStepOut]
    checks: list[DemoCheckOut]
    charts: list[ChartOut]
    graph: GraphOut | None


class DemoInfoOut(BaseModel):
    name: str
    title: str
    params_schema: dict[str, Any] = Field(description="JSON Schema of the query parameters.")
