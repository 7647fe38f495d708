"""The allowed-parameter grid of a demo: each bound, a midpoint and several seeds.

A demo must pass every check for every parameter its model allows; the sweep suite
(tests/standard/test_sweep.py) and the sweep benchmark (bench/demos.py --sweep) run this grid.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic.fields import FieldInfo

from app.demos.base import DemoParams

SEEDS = (0, 1, 2, 3, 4)
EXTRA_SEEDS_AT_DEFAULTS = (5, 6, 7, 8, 9, 123, 2**31 - 1)


def field_values(info: FieldInfo) -> list[Any]:
    """The values of one field worth trying: both bounds and the midpoint, or every option."""
    options = typing.get_args(info.annotation)
    if typing.get_origin(info.annotation) is typing.Literal:
        return list(options)
    low: float | None = None
    high: float | None = None
    for item in info.metadata:
        # Demo bounds are plain numbers; annotated_types only promises they are comparable.
        if isinstance(item, Ge | Gt):
            low = float(item.ge if isinstance(item, Ge) else item.gt)  # type: ignore[arg-type]
        if isinstance(item, Le | Lt):
            high = float(item.le if isinstance(item, Le) else item.lt)  # type: ignore[arg-type]
    if low is None or high is None:
        return [info.get_default(call_default_factory=True)]
    if info.annotation is int:
        low, high = int(low) + _open_low(info), int(high) - _open_high(info)
        return sorted({low, (low + high) // 2, high})
    span = high - low
    # Open bounds are approached, not touched.
    return [low + span * 1e-3, low + span / 2, high - span * 1e-3]


def _open_low(info: FieldInfo) -> int:
    """1 when the lower bound is strict (gt), so the lowest allowed int is one above it."""
    return int(any(isinstance(item, Gt) for item in info.metadata))


def _open_high(info: FieldInfo) -> int:
    """1 when the upper bound is strict (lt)."""
    return int(any(isinstance(item, Lt) for item in info.metadata))


def parameter_grid(model: type[DemoParams]) -> Iterator[dict[str, Any]]:
    """Defaults; each field at each of its values with the others at their defaults; every
    field at its lowest, then its highest value; each point under SEEDS, and more seeds at
    the defaults. Points the model refuses (fields that constrain each other) are left out."""
    fields = {name: info for name, info in model.model_fields.items() if name != "seed"}
    values = {name: field_values(info) for name, info in fields.items()}
    points: list[dict[str, Any]] = [{}]
    for name, options in values.items():
        points += [{name: value} for value in options]
    points.append({name: options[0] for name, options in values.items()})
    points.append({name: options[-1] for name, options in values.items()})
    seen: set[tuple] = set()
    for point in points:
        for seed in SEEDS + (EXTRA_SEEDS_AT_DEFAULTS if not point else ()):
            candidate = {**point, "seed": seed}
            key = tuple(sorted(candidate.items()))
            if key in seen:
                continue
            seen.add(key)
            try:
                model.model_validate(candidate)
            except ValueError:
                continue
            yield candidate
