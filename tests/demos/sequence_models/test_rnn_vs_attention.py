"""rnn_vs_attention: chain lengths L and 3, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.sequence_models.common import longest_path
from app.engine import Tensor
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("rnn_vs_attention")


def test_longest_path_counts_only_the_named_ops() -> None:
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    y = ((x @ x).tanh() @ x).sum()
    assert longest_path(y, x, frozenset({"matmul"})) == 2
    assert longest_path(y, Tensor(np.ones(1)), frozenset({"matmul"})) == -1


def test_the_chains_at_the_largest_length() -> None:
    v = values(DEMO.run_with({"length": 32, "seed": 1}))
    assert np.asarray(v["RNN chain at L, 2L"]).tolist() == [32, 64]
    assert np.asarray(v["attention chain at L, 2L"]).tolist() == [3, 3]


@pytest.mark.parametrize(
    ("bug", "claim"),
    [
        ("softmax.vjp:only the diagonal p ⊙ g", "attention's ∂L/∂x"),
        ("rnn_cell.forward:b_hh left out", "the RNN's states equal"),
    ],
)
def test_each_bug_fails_its_check(monkeypatch: pytest.MonkeyPatch, bug: str, claim: str) -> None:
    assert fails(with_bug(monkeypatch, "rnn_vs_attention", bug), claim)
