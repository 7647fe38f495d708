"""symmetry_breaking: equal units stay equal, zero init learns only b2, checks can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import symmetry_breaking as module  # registers it
from app.engine import arith, pointwise

DEMO = get_demo("symmetry_breaking")


def test_rows_of_a_constant_init_stay_equal_and_random_rows_differ() -> None:
    demo = DEMO.run_with({"seed": 1, "hidden": 4, "n_in": 3})
    values = {step.label: step.value for step in demo.steps}
    const = np.asarray(values["constant init: W1 after 20 steps"])
    assert const.shape == (4, 3) and np.allclose(const, const[0])
    assert module.min_pair_distance(np.asarray(values["random init: W1 after 20 steps"])) > 1e-3


def test_spread_and_distance() -> None:
    w = np.array([[1.0, 2.0], [1.0, 2.5]])
    assert module.spread(w) == 0.5 and module.min_pair_distance(w) == pytest.approx(0.5)


def test_a_broken_tanh_rule_fails_the_gradcheck(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "tanh_vjp", lambda g, xs, out, ctx, need: (g * (1 - out),))
    assert not DEMO.run_with({"seed": 0}).check("random init: the engine's gradients").passed


def test_a_skewed_linear_rule_fails_the_gradcheck(skew: Callable[..., None]) -> None:
    skew(arith, "linear_vjp")
    assert not DEMO.run_with({"seed": 0}).check("random init: the engine's gradients").passed
