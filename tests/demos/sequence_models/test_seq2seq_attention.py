"""seq2seq_attention: the context and its gradient by formula, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("seq2seq_attention")


def test_the_weights_are_a_distribution_over_the_source() -> None:
    alpha = np.asarray(values(DEMO.run_with({"source": 12, "seed": 3}))["α = softmax(e)"])
    assert alpha.shape == (12,) and np.all(alpha > 0) and alpha.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("bug", "claim"),
    [
        ("softmax.vjp:only the diagonal p ⊙ g", "∂⟨g, c⟩/∂h_j"),
        ("softmax.vjp:every input's gradient off by 1e-4", "∂⟨g, c⟩/∂s"),
        ("matmul.vjp:input 1's gradient off by 1e-4", "∂⟨g, c⟩/∂h_j"),
        ("rnn_cell.forward:output off by 1e-4", "the context equals"),
    ],
)
def test_each_bug_fails_its_check(monkeypatch: pytest.MonkeyPatch, bug: str, claim: str) -> None:
    assert fails(with_bug(monkeypatch, "seq2seq_attention", bug), claim)
