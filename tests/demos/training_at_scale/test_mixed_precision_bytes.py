"""mixed_precision_bytes: 16 bytes per parameter, both layouts, and the Adam update checked."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "mixed_precision_bytes"
DEMO = get_demo(NAME)


def test_sixteen_bytes_per_parameter() -> None:
    demo = DEMO.run_with({"seed": 0})
    v = values(demo)
    assert v["total bytes per parameter"] == 16
    assert v["bytes per parameter: Adam m and v"] == 8
    assert demo.passed


def test_a_wrong_cast_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "to_dtype.vjp:every input's gradient off by 1e-4")
    assert fails(demo, "the master gradient is the float16 gradient")


@pytest.mark.parametrize(
    "bug", ["optim.adam_moments:β₂ off by 1e-4", "optim.adam_bias_correction:no bias correction"]
)
def test_a_wrong_adam_update_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, NAME, bug), "3 Adam steps")
