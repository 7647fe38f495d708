"""bptt_by_hand: the engine's RNN gradients are the BPTT recursion, and the checks can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.sequence_models.common import rnn_bptt
from tests.demos.mutated import fails, with_bug

DEMO = get_demo("bptt_by_hand")


def test_the_recursion_on_a_scalar_example() -> None:
    # One unit, W_hh = 0.5, W_ih = 1, no bias, x = (1, 0), g = (0, 1): h_1 = tanh 1, h_2 =
    # tanh(0.5 h_1); δ_2 = 1 − h_2², δ_1 = 0.5 δ_2 (1 − h_1²); dW_hh = δ_1·0 + δ_2·h_1.
    w = (np.ones((1, 1)), np.full((1, 1), 0.5), np.zeros(1), np.zeros(1))
    x = np.array([[[1.0]], [[0.0]]])
    ref = rnn_bptt(x, np.zeros((1, 1)), w, np.array([[[0.0]], [[1.0]]]))
    h1 = np.tanh(1.0)
    h2 = np.tanh(0.5 * h1)
    assert ref["dW_hh"][0, 0] == pytest.approx((1 - h2**2) * h1)
    assert ref["dx"][0, 0, 0] == pytest.approx(0.5 * (1 - h2**2) * (1 - h1**2))


def test_every_check_passes_at_the_largest_sizes() -> None:
    assert DEMO.run_with({"steps": 8, "hidden": 5, "inputs": 4, "batch": 3, "seed": 3}).passed


def test_fan_out_overwrite_fails_the_weight_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "bptt_by_hand", "autograd.fan_out:overwrite instead of sum")
    assert fails(demo, "dW_hh equals Σ_t")


@pytest.mark.parametrize(
    "bug", ["tanh.vjp:tanh′ = 1 − t", "linear.vjp:input 1's gradient off by 1e-4"]
)
def test_gradient_rule_bugs_fail(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    demo = with_bug(monkeypatch, "bptt_by_hand", bug)
    assert fails(demo, "dW_hh equals Σ_t", "dx, dW_hh, dW_ih match central differences")


def test_an_untransposed_w_hh_fails_the_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "bptt_by_hand", "rnn_cell.forward:h W_hh instead of h W_hhᵀ")
    assert fails(demo, "the engine's h_t equal the recurrence")
