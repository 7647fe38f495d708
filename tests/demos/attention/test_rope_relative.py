"""rope_relative: scores constant along diagonals, shift invariance, and failing bugs."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, with_bug

DEMO = get_demo("rope_relative")


@pytest.mark.parametrize(
    "bug",
    [
        "rotary.rotation:rotated by −θ",
        "rotary.rotation:frequencies base^(−j/D) instead of base^(−2j/D)",
    ],
)
def test_relative_but_wrong_rotations_fail_the_reference(
    monkeypatch: pytest.MonkeyPatch, bug: str
) -> None:
    demo = with_bug(monkeypatch, "rope_relative", bug)
    assert fails(demo, "the engine's RoPE equals")
    assert demo.check("R_m q · R_n k is constant").passed


def test_a_quadratic_angle_loses_the_relative_property(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "rope_relative", "rotary.rotation:angle p²·θ: not linear in the position"
    )
    assert fails(demo, "R_m q · R_n k is constant", "shifting every position")
