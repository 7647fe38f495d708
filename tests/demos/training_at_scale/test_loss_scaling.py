"""loss_scaling: float16 flushes tiny gradients; scaling by 2¹⁶ recovers them."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "loss_scaling"
DEMO = get_demo(NAME)


def test_unscaled_gradients_vanish_and_scaled_ones_survive() -> None:
    demo = DEMO.run_with({"seed": 0, "grad_log2": -31})
    v = values(demo)
    assert not np.any(v["dW unscaled (all flushed)"])
    assert np.all(v["dW with loss scaling"] != 0)
    assert demo.passed


@pytest.mark.parametrize(
    "bug",
    [
        "dtypes.scaled_backward:gradients never divided by S",
        "dtypes.scaled_backward:unscaled in float16",
    ],
)
def test_a_broken_unscale_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, NAME, bug), "scaled by S", "…and the true gradient")
