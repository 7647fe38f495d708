"""residual_scaling: 2^L without scaling, about e with 1/√L, identity with a zero last layer."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import residual_scaling as module  # registers it
from app.engine import Tensor, arith

DEMO = get_demo("residual_scaling")


def test_a_zero_branch_is_the_identity() -> None:
    x = Tensor(np.ones((2, 3)))
    zero = [(Tensor(np.ones((3, 3))), Tensor(np.zeros((3, 3))))]
    assert np.array_equal(module.forward(x, zero, 1.0)[-1].data, x.data)


def test_scaled_growth_is_near_e() -> None:
    demo = DEMO.run_with({"seed": 2, "depth": 32, "width": 64})
    assert 1.3 < demo.check("branches scaled by 1/√L").measured < 6.0


def test_a_skewed_add_rule_fails_the_gradcheck(skew: Callable[..., None]) -> None:
    skew(arith, "add_vjp")
    assert not DEMO.run_with({"seed": 0}).check("a 2-block residual net's gradients").passed


def test_fixup_moves_the_output_like_one_block_and_the_unscaled_net_does_not() -> None:
    demo = DEMO.run_with({"seed": 1, "depth": 32})
    assert 0.5 < demo.check("Fixup (W2 = 0, W1 × L^(-1/2)").measured < 2.0
    assert demo.check("W2 = 0 without Fixup's L^(-1/2)").measured >= 0.5


def test_fixup_without_its_scale_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = module.first_step_change

    def unscaled(
        rng: np.random.Generator,
        blocks: int,
        d: int,
        x: np.ndarray,
        upstream: np.ndarray,
        scale: float,
    ) -> float:
        return original(rng, blocks, d, x, upstream, 1.0)

    monkeypatch.setattr(module, "first_step_change", unscaled)
    assert not DEMO.run_with({"seed": 0}).check("Fixup (W2 = 0, W1 × L^(-1/2)").passed
