"""nan_checklist: three causes of a NaN loss, and their fixes."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import values, with_bug

NAME = "nan_checklist"
DEMO = get_demo(NAME)


def test_the_naive_paths_are_non_finite() -> None:
    demo = DEMO.run_with({"seed": 0})
    v = values(demo)
    assert np.isinf(v["naive loss −log p₀"])
    assert np.isfinite(v["log_softmax loss"])
    assert v["first non-finite step at that lr"] >= 1
    assert demo.passed


@pytest.mark.parametrize(
    "bug", ["log_softmax.vjp:the − p Σg term forgotten", "exp.vjp:the power rule: x·e^(x−1)"]
)
def test_a_wrong_rule_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert not with_bug(monkeypatch, NAME, bug).passed
