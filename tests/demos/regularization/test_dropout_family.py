"""mc_dropout, mixup_targets and stochastic_depth: forward-mode slips fail them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.demos import get_demo
from app.demos.regularization import mc_dropout, mixup_targets  # noqa: F401  (register)
from app.demos.regularization.common import dropout_module
from app.engine import reduce


def _unscaled(monkeypatch: pytest.MonkeyPatch) -> None:
    original = dropout_module.dropout

    def unscaled(x: Any, p: float = 0.5, training: bool = True, generator: Any = None) -> Any:
        out = original(x, p, training, generator)
        if training and 0 < p < 1:
            out.data *= 1 - p
        return out

    monkeypatch.setattr(dropout_module, "dropout", unscaled)


def test_non_inverted_dropout_breaks_mc_dropout_and_stochastic_depth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _unscaled(monkeypatch)
    assert not get_demo("mc_dropout").run_with({"seed": 0}).check("a pass keeps hidden").passed
    depth = get_demo("stochastic_depth").run_with({"seed": 0})
    assert not depth.check("a kept row is x + f(x)/(1 − p)").passed


def test_mc_dropout_agrees_at_the_data_and_spreads_away() -> None:
    values = {s.label: s.value for s in get_demo("mc_dropout").run_with({"seed": 2}).steps}
    assert float(values["ensemble spread on the training inputs"]) < 1e-8
    assert float(values["ensemble spread for |x| > 2"]) > 1e-2


def test_a_skewed_log_softmax_rule_fails_mixups_gradient_check(skew: Callable[..., None]) -> None:
    skew(reduce, "log_softmax_vjp")
    demo = get_demo("mixup_targets").run_with({"seed": 0})
    assert not demo.check("its gradient is (softmax(z) − ỹ)/B").passed
