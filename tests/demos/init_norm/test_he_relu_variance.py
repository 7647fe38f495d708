"""he_relu_variance: He keeps the second moment, LeCun halves it, and the checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import he_relu_variance as module  # registers it
from app.engine import init

DEMO = get_demo("he_relu_variance")


def test_lecun_halves_the_signal_per_layer() -> None:
    demo = DEMO.run_with({"seed": 2, "depth": 12})
    he, lecun = (float(v) for v in demo.steps[3].value.split(", "))  # type: ignore[union-attr]
    assert he == pytest.approx(1.0, abs=0.3) and lecun == pytest.approx(0.5, abs=0.15)


def test_per_layer_is_a_geometric_mean() -> None:
    assert module.per_layer([1.0, 0.5, 0.25]) == pytest.approx(0.5)


def test_he_without_its_gain_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original: Callable[..., float | None] = init._kaiming_std
    monkeypatch.setattr(init, "_kaiming_std", lambda t, a, mode, nl: original(t, a, mode, "linear"))
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("kaiming_normal_(nonlinearity='relu') draws N(0, 2/fan_in)").passed
    assert not demo.check("He (2/fan_in): E[z²] per layer stays about constant").passed


def test_the_relu_share_check_can_fail() -> None:
    z = np.abs(np.random.default_rng(0).standard_normal(1000))  # all positive: ReLU keeps all
    assert float(np.mean(np.maximum(z, 0) ** 2) / np.mean(z**2)) > 0.6
