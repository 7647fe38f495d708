"""batchnorm_running_stats: PyTorch's update rule, eval vs train, and checks that can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import batchnorm_running_stats as module  # registers it
from app.engine import norm

DEMO = get_demo("batchnorm_running_stats")


def test_running_var_heads_for_the_true_variance() -> None:
    demo = DEMO.run_with({"seed": 1, "steps": 50, "momentum": 0.5})
    running_var = np.asarray(demo.steps[1].value)
    assert np.all(np.abs(running_var - module.STD**2) < 3.0)


def test_a_swapped_momentum_fails_the_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    original = norm.batch_norm

    def swapped(
        x: Any,
        rm: Any,
        rv: Any,
        w: Any = None,
        b: Any = None,
        training: bool = False,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> Any:
        return original(x, rm, rv, w, b, training, 1 - momentum, eps)

    monkeypatch.setattr(norm, "batch_norm", swapped)
    assert not DEMO.run_with({"seed": 0}).check("running statistics follow").passed


def test_eval_with_the_wrong_statistics_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = norm.batch_norm

    def shifted(
        x: Any,
        rm: Any,
        rv: Any,
        w: Any = None,
        b: Any = None,
        training: bool = False,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> Any:
        if not training:
            rm = rm + 0.1  # evaluation normalising with the wrong mean
        return original(x, rm, rv, w, b, training, momentum, eps)

    monkeypatch.setattr(norm, "batch_norm", shifted)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("eval(): an example's output").passed
    assert demo.check("running statistics follow").passed
