"""translation_equivariance: shifted maps, invariant pools, strides, and checks that can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.cnn import translation_equivariance as module
from tests.demos.mutated import fails, with_bug

DEMO = get_demo("translation_equivariance")


def test_shifting_moves_without_wrapping() -> None:
    a = np.zeros((1, 1, 4, 4))
    a[0, 0, 1, 1] = 1.0
    assert module.shifted(a, 1, 2)[0, 0, 2, 3] == 1.0


@pytest.mark.parametrize("shift", [1, 2, 3])
def test_every_shift_passes(shift: int) -> None:
    assert DEMO.run_with({"seed": 4, "shift": shift}).passed


def test_a_skewed_conv_fails_the_reference_check(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "translation_equivariance", "conv2d.forward:output off by 1e-4")
    assert fails(demo, "the engine's conv equals the cross-correlation loop")


def test_a_position_dependent_conv_fails_equivariance(monkeypatch: pytest.MonkeyPatch) -> None:
    original = module.conv2d

    def biased_by_row(x: Any, w: Any, *args: Any, **kwargs: Any) -> Any:
        out = original(x, w, *args, **kwargs)
        rows = np.arange(out.shape[2]).reshape(1, 1, -1, 1)
        return out + module.Tensor(np.broadcast_to(rows, out.shape).astype(float))

    monkeypatch.setattr(module, "conv2d", biased_by_row)
    demo = DEMO.run_with({"seed": 0})
    assert fails(demo, "equivariance", "the engine's conv equals")
