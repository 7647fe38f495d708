"""adamw_decay: every seed passes, the card's numbers hold, checks can fail."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.demos import get_demo
from tests.standard.mutations import mutations_of

DEMO = get_demo("adamw_decay")


def test_defaults_pass_with_the_numbers_the_card_quotes() -> None:
    d = DEMO.run_with({})
    assert d.passed, [c for c in d.checks if not c.passed]
    assert d.check("Adam + L2 decays the small-gradient").measured > 30


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_every_seed_passes(seed: int) -> None:
    assert DEMO.run_with({"seed": seed}).passed


def test_a_broken_rule_fails_the_named_check() -> None:
    [mutation] = [
        m
        for m in mutations_of("optim.adam_weight_decay")
        if m.name == "L2 and decoupled decay swapped"
    ]
    with pytest.MonkeyPatch.context() as monkeypatch:
        mutation.apply(monkeypatch)
        d = DEMO.run_with({})
    assert not d.check("AdamW multiplies θ by (1 − γλ)").passed


@pytest.mark.parametrize("params", [{"lr": 0.0}, {"weight_decay": 0.5}, {"seed": -1}])
def test_out_of_range_params_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
