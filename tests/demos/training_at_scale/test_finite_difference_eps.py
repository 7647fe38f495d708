"""finite_difference_eps: central differences at h ≈ ε^(1/3), in float64."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "finite_difference_eps"
DEMO = get_demo(NAME)


def test_error_curves_have_their_minima_where_theory_says() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    h = v["h"]
    assert 1e-7 <= h[np.argmin(v["central-difference error"])] <= 1e-3
    assert 1e-10 <= h[np.argmin(v["forward-difference error"])] <= 1e-6


def test_a_wrong_tanh_rule_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "tanh.vjp:every input's gradient off by 1e-4")
    assert fails(demo, "central differences in float64")


@pytest.mark.parametrize(
    "bug",
    [
        "gradcheck.central:forward differences (f(x + h) − f(x))/h",
        "gradcheck.central:central difference divided by h, not 2h",
    ],
)
def test_a_wrong_gradcheck_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, NAME, bug), "gradcheck (central")
