"""batchnorm_channels: per-channel statistics, 2C parameters, the cancelled bias, failing checks."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.cnn import batchnorm_channels as module
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("batchnorm_channels")


def test_manual_normalisation_has_zero_mean_unit_variance_per_channel() -> None:
    z = np.random.default_rng(0).normal(3.0, 2.0, (4, 2, 3, 3))
    y = module.manual(z, np.ones(2), np.zeros(2))
    assert np.allclose(y.mean(axis=(0, 2, 3)), 0.0)
    assert np.allclose(y.var(axis=(0, 2, 3)), 1.0, atol=1e-5)
    assert values(DEMO.run_with({"seed": 0}))["values per channel statistic"] == 100


def test_dx_without_the_mean_terms_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "batchnorm_channels", "batch_norm.vjp:dx = γ·g/σ: both mean terms dropped"
    )
    assert fails(demo, "…and its gradient is zero", "dx, dγ, dβ of BatchNorm2d")


@pytest.mark.parametrize(
    "bug",
    ["batch_norm.vjp:dγ = Σ g (x̂ forgotten)", "batch_norm.vjp:input 2's gradient off by 1e-4"],
)
def test_parameter_gradient_bugs_fail(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, "batchnorm_channels", bug), "dx, dγ, dβ of BatchNorm2d")
