"""dropout_inverted: the mask, its scale and eval mode, and checks that can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.regularization import dropout_inverted  # noqa: F401  (registers it)
from app.demos.regularization.common import dropout_module

DEMO = get_demo("dropout_inverted")


def test_the_forward_keeps_x_over_one_minus_p_where_the_mask_is_one() -> None:
    demo = DEMO.run_with({"seed": 3, "p": 0.5})
    values = {step.label: step.value for step in demo.steps}
    x, mask, y = (np.asarray(values[k]) for k in ("X", "mask M (kept = 1)", "Y = X ⊙ M / (1 − p)"))
    assert np.array_equal(y, x * mask * 2.0)


def test_a_skewed_dropout_rule_fails_the_backward_checks(skew: Callable[..., None]) -> None:
    skew(dropout_module, "dropout_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("backward multiplies g by the forward's own mask").passed
    assert not demo.check("analytic ∂L/∂x with one fixed mask").passed


def test_non_inverted_dropout_fails_the_scale_and_mean_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = dropout_module.dropout

    def unscaled(x: Any, p: float = 0.5, training: bool = True, generator: Any = None) -> Any:
        out = original(x, p, training, generator)
        if training and 0 < p < 1:
            out.data *= 1 - p
        return out

    monkeypatch.setattr(dropout_module, "dropout", unscaled)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("kept entries are x/(1 − p)").passed
    assert not demo.check("over 400 masks the mean of y/x is 1").passed


def test_an_eval_mode_that_still_drops_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    original = dropout_module.dropout
    monkeypatch.setattr(
        dropout_module, "dropout", lambda x, p=0.5, training=True, g=None: original(x, p, True, g)
    )
    assert not DEMO.run_with({"seed": 0}).check("in eval mode the module returns").passed
