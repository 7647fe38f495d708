"""The parameter sweep: on the correct engine, every demo passes every check at every point of
its allowed-parameter grid (bounds, midpoints, several seeds). Timing is measured by
`python -m bench.demos --sweep`, never asserted here."""

from __future__ import annotations

import pytest

from app.demos import REGISTRY, get_demo
from app.demos.sweep import parameter_grid

NAMES = sorted(REGISTRY)


@pytest.mark.parametrize("name", NAMES)
def test_every_allowed_parameter_passes(name: str) -> None:
    spec = get_demo(name)
    failures = []
    grid = list(parameter_grid(spec.params))
    for params in grid:
        demo = spec.run_with(params)
        failures += [
            (params, check.claim, check.measured, check.bound)
            for check in demo.checks
            if not check.passed
        ]
    assert len(grid) >= 10, f"{name}: a sweep of {len(grid)} points is too thin"
    assert not failures, failures[:5]


def test_the_grid_reaches_every_bound() -> None:
    """The grid itself can fail: it must try each numeric field's lowest and highest value."""
    spec = get_demo("checkpointing")
    grid = list(parameter_grid(spec.params))
    for name, info in spec.params.model_fields.items():
        if name == "seed":
            continue
        tried = {point.get(name, info.default) for point in grid}
        bounds = {m.ge for m in info.metadata if hasattr(m, "ge")} | {
            m.le for m in info.metadata if hasattr(m, "le")
        }
        assert bounds <= tried, (name, bounds, tried)
