"""Helpers to break the thing a demo's check measures, so each check is shown able to fail."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

SEEDS = [0, 1, 2, 3, 4]


def skew_rule(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, rule_name: str, factor: float = 1 + 1e-4
) -> None:
    """Make an engine gradient rule (e.g. arith.matmul_vjp) off by `factor`, relatively."""
    original: Callable[..., tuple[Any, ...]] = getattr(module, rule_name)

    def skewed(*args: Any) -> tuple[Any, ...]:
        return tuple(None if g is None else g * factor for g in original(*args))

    monkeypatch.setattr(module, rule_name, skewed)


@pytest.fixture
def skew(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """skew(module, rule_name, factor=1+1e-4): perturb a gradient rule for this test."""

    def apply(module: ModuleType, rule_name: str, factor: float = 1 + 1e-4) -> None:
        skew_rule(monkeypatch, module, rule_name, factor)

    return apply
