"""weight_tying: the tied gradient is the sum of both uses, and checks that can fail."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("weight_tying")


def test_the_saving_is_v_times_d() -> None:
    assert values(DEMO.run_with({"vocab": 40, "dim": 8}))["parameters saved by tying"] == 320


@pytest.mark.parametrize(
    ("bug", "claim"),
    [
        ("autograd.fan_out:overwrite instead of sum", "tied ∂L/∂E equals the sum"),
        ("linear.vjp:input 1's gradient off by 1e-4", "the output layer's part"),
        ("embedding.vjp:row gradients off by 1e-4", "the lookup's part"),
    ],
)
def test_each_bug_fails_its_check(monkeypatch: pytest.MonkeyPatch, bug: str, claim: str) -> None:
    assert fails(with_bug(monkeypatch, "weight_tying", bug), claim)
