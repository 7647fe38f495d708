"""global_pooling: head sizes, GAP's gradient, and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("global_pooling")


def test_known_parameter_counts() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    assert v["GAP head parameters"] == 8 * 5 + 5
    assert v["flatten head parameters"] == 8 * 49 * 5 + 5


def test_the_mean_without_its_one_over_n_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "global_pooling", "mean.vjp:the 1/n forgotten")
    assert fails(demo, "GAP's gradient is g/(H·W)")


def test_a_skewed_mean_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "global_pooling", "mean.vjp:every input's gradient off by 1e-4")
    assert fails(demo, "GAP's gradient is g/(H·W)")
