"""rnn_gradient_norm: the gradient norm scales by about ρ per step, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("rnn_gradient_norm")


def test_the_norms_fall_for_small_rho_and_grow_for_large() -> None:
    v = values(DEMO.run_with({"seed": 2}))
    small, large = (
        np.asarray(v["‖∂L/∂h_t‖ / ‖g‖, ρ small"]),
        np.asarray(v["‖∂L/∂h_t‖ / ‖g‖, ρ large"]),
    )
    assert small[0] < 0.8**18 and large[0] > 1.2**18 * 0.9
    assert np.all(np.diff(small) > 0) and np.all(np.diff(large) < 0)  # read from h_1 to h_T


def test_the_extreme_radii_pass() -> None:
    assert DEMO.run_with({"rho_small": 0.5, "rho_large": 1.3, "steps": 30, "seed": 4}).passed


@pytest.mark.parametrize(
    "bug", ["tanh.vjp:tanh′ = 1 − t", "tanh.vjp:every input's gradient off by 1e-4"]
)
def test_a_wrong_tanh_rule_fails_the_jacobian_product(
    monkeypatch: pytest.MonkeyPatch, bug: str
) -> None:
    assert fails(with_bug(monkeypatch, "rnn_gradient_norm", bug), "the engine's ∂L/∂h_t equal")
