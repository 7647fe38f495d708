"""bf16_range_precision: bfloat16: float32 range, 7 mantissa bits, ties to even."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "bf16_range_precision"
DEMO = get_demo(NAME)


def test_gaps_and_range() -> None:
    v = values(DEMO.run_with({"seed": 0}))
    assert v["bfloat16 gap at 1"] == 2.0**-7
    assert v["float16 gap at 1"] == 2.0**-10
    assert np.isinf(v["float16(3e38)"]) and np.isfinite(v["bfloat16(3e38)"])
    assert v["weight after updates, bfloat16"] == 1.0


def test_truncation_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "dtypes.bfloat16_round:truncation: the low 16 bits dropped")
    assert fails(demo, "round to nearest", "ties to even")


def test_ties_away_from_zero_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "dtypes.bfloat16_round:ties rounded away from zero")
    assert fails(demo, "ties to even")
