"""Run a deck's demo with one deliberate engine bug in place, and read its failed checks."""

from __future__ import annotations

from typing import Any

import pytest

from app.demos import get_demo
from app.demos.base import Demo
from tests.standard.mutations import MUTATIONS


def with_bug(monkeypatch: pytest.MonkeyPatch, demo: str, bug: str, **params: object) -> Demo:
    """The demo's result at `params` with the mutation whose id is `bug` ("rule:name")."""
    found = [m for m in MUTATIONS if m.id == bug]
    assert len(found) == 1, f"no single mutation {bug!r}"
    found[0].apply(monkeypatch)
    return get_demo(demo).run_with(params)


def fails(demo: Demo, *claim_starts: str) -> bool:
    """Whether every check whose claim starts with one of `claim_starts` failed."""
    return all(not demo.check(start).passed for start in claim_starts)


def values(demo: Demo) -> dict[str, Any]:
    """Step values by label."""
    return {step.label: step.value for step in demo.steps}
