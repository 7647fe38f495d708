"""huber_outliers: the clipped gradient, and an unclipped rule fails."""

from __future__ import annotations

import numpy as np
import pytest

import app.demos.losses  # noqa: F401  (registers)
from app.demos import get_demo
from app.engine import shape
from tests.standard.deck_mutations.losses import _where_both_branches
from tests.standard.mutation_kit import wrong_rule

DEMO = get_demo("huber_outliers")


def test_the_outlier_gradient_is_minus_delta_over_n() -> None:
    demo = DEMO.run_with({"n": 10, "delta": 2.0, "outlier": 50.0, "seed": 1})
    g = np.asarray({s.label: s.value for s in demo.steps}["∂L/∂ŷ, Huber"])
    assert g[-1] == pytest.approx(-2.0 / 10)


def test_where_sending_g_to_both_branches_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong_rule(shape, "where_vjp", _where_both_branches)(monkeypatch)
    demo = DEMO.run_with({})
    assert not demo.check("engine's ∂L/∂ŷ equals clip").passed
