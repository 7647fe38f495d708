"""A Demo as plain text for the terminal: aligned matrices, checks with their verdicts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.demos.base import Demo, StepValue


def format_number(value: Any, digits: int = 4) -> str:
    """Integers as integers, others to `digits` significant figures; nan and inf in words."""
    number = float(value)
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    text = str(int(number)) if number.is_integer() and abs(number) < 1e9 else f"{number:.{digits}g}"
    return text.replace("-", "−")  # a true minus sign lines up with digits


def matrix_lines(value: StepValue, indent: str = "    ") -> list[str]:
    """Rows of a number, vector or matrix, right-aligned in columns (first matrix of a batch)."""
    if isinstance(value, str):
        return [indent + line for line in value.splitlines()]
    array = np.asarray(value)
    if array.ndim == 0:
        return [indent + format_number(array)]
    matrix = array.reshape(1, -1) if array.ndim == 1 else array.reshape(-1, *array.shape[-2:])[0]
    cells = [[format_number(cell) for cell in row] for row in matrix]
    width = max(len(cell) for row in cells for cell in row)
    return [indent + "[ " + "  ".join(cell.rjust(width) for cell in row) + " ]" for row in cells]


def render_text(demo: Demo) -> str:
    """The whole demo as text."""
    lines = [demo.title, "=" * len(demo.title)]
    params = ", ".join(f"{key}={value}" for key, value in demo.params.items())
    lines += [f"params: {params}", ""]
    if demo.summary:
        lines += [demo.summary, ""]
    for step in demo.steps:
        shape = np.shape(step.value) if not isinstance(step.value, str) else ()
        size = f"  ({'×'.join(map(str, shape))})" if shape else ""
        lines.append(f"{step.label}{size}")
        lines += matrix_lines(step.value)
        if step.note:
            lines.append(f"    {step.note}")
    lines += ["", "Checks"]
    for check in demo.checks:
        verdict = "PASS" if check.passed else "FAIL"
        measured = format_number(check.measured, 3)
        lines.append(f"  [{verdict}] {check.claim}: measured {measured}, needs {check.bound}")
    for chart in demo.charts:
        lines += ["", f"Chart: {chart.title} ({chart.y_label} vs {chart.x_label})"]
        for series in chart.series:
            pairs = ", ".join(
                f"{format_number(x, 3)}→{format_number(y, 3)}"
                for x, y in zip(series.x, series.y, strict=True)
            )
            lines.append(f"  {series.label}: {pairs}")
    verdict = "all checks passed" if demo.passed else "SOME CHECKS FAILED"
    lines += ["", verdict]
    return "\n".join(lines)
