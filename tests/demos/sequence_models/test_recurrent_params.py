"""recurrent_params: G(HI + H² + 2H) parameters, torch's GRU formula, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("recurrent_params")


def test_the_counts_of_the_card() -> None:
    counts = values(DEMO.run_with({"input_size": 10, "hidden": 20}))[
        "RNN, GRU, LSTM parameters (engine)"
    ]
    assert np.asarray(counts).tolist() == [640, 1920, 2560]


@pytest.mark.parametrize(
    "bug",
    [
        "recurrent.parameters:one bias vector: b_hh left out",
        "recurrent.parameters:b_hh the same tensor as b_ih",
    ],
)
def test_a_single_bias_fails_the_counts(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, "recurrent_params", bug), "LSTM cell: 4·", "GRU cell: 3·")


def test_the_reset_before_the_bias_fails_the_gru_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "recurrent_params", "gru_cell.forward:reset gate applied before b_hn"
    )
    assert fails(demo, "a GRU step equals")
    assert demo.check("an LSTM step equals").passed
