"""Shared by the activations deck's demo tests: run a demo, read its steps, see checks fail."""

from __future__ import annotations

from typing import Any

import app.demos.activations  # noqa: F401  (registers the deck's demos)
from app.demos import get_demo
from app.demos.base import Demo


def run(name: str, **params: Any) -> Demo:
    """The demo `name` at `params` (seed 0 unless given)."""
    return get_demo(name).run_with({"seed": 0, **params})


def failed(demo: Demo) -> set[str]:
    """The claims of the checks that failed."""
    return {check.claim for check in demo.checks if not check.passed}


def fails(demo: Demo, *starts: str) -> bool:
    """Every named check (by the start of its claim) failed."""
    return all(not demo.check(start).passed for start in starts)
