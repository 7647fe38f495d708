"""ln_stream_growth: Post-LN keeps RMS 1, Pre-LN grows; a wrong layer norm fails."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("ln_stream_growth")


def test_pre_ln_rms_grows_overall() -> None:
    rms = values(DEMO.run_with({"seed": 5, "depth": 16}))["Pre-LN stream RMS per block"]
    assert rms[-1] > rms[0]


@pytest.mark.parametrize(
    "bug",
    [
        "layer_norm.forward:unbiased variance (÷ D − 1)",
        "layer_norm.forward:ε added outside the square root",
    ],
)
def test_a_wrong_layer_norm_fails_the_reference(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, "ln_stream_growth", bug), "the engine's layer norm equals")
