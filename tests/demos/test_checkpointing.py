"""checkpointing: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import checkpointing as module  # registers it
from app.demos import get_demo
from app.engine import Counters, Tensor

DEMO = get_demo("checkpointing")


def test_the_seed_changes_the_gradients() -> None:
    x, y = np.ones((2, 3)), np.zeros((2, 3))
    runs = [module.train_step(module.MLP([3] * 4, "tanh", seed=s), x, y, 2) for s in (0, 1)]
    assert not np.array_equal(runs[0].grads[0], runs[1].grads[0])


def test_sqrt_n_is_marked_on_the_charts_as_a_vertical_line_from_zero() -> None:
    # Before: a single point hidden on the curve, and the FLOPs axis ran 20,450-20,750.
    demo = DEMO.run_with({"depth": 16})
    for chart in demo.charts:
        marker = chart.series[-1]
        assert marker.label == "k = √n" and marker.x == [4, 4]
        assert marker.y[0] == 0 and marker.y[1] >= max(max(s.y) for s in chart.series)


@pytest.mark.parametrize("params", [{"width": 32, "batch": 1}, {"width": 2, "batch": 32}, {}])
def test_the_lowest_peak_is_near_sqrt_n_whatever_the_width_and_batch(
    params: dict[str, int],
) -> None:
    # Before: weights were counted, so with width 32 and batch 1 the minimum moved to k = 1.
    for depth in (9, 16, 25):
        demo = DEMO.run_with({**params, "depth": depth})
        curve = demo.charts[0].series[0]
        lowest = min(curve.y)
        best = [k for k, y in zip(curve.x, curve.y, strict=True) if y == lowest]
        assert any(abs(k - depth**0.5) <= 1 for k in best), (depth, best)
        assert demo.passed, [c.claim for c in demo.checks if not c.passed]


def test_peak_bytes_count_activations_only() -> None:
    model = module.MLP([32] * 10, "tanh", seed=0)
    x, y = np.ones((1, 32)), np.zeros((1, 32))
    # x and 9 layers' outputs, 32 float64 each; no 32×32 weight matrix in the count.
    assert module.train_step(model, x, y, 0).peak == 10 * 32 * 8
    assert module.train_step(model, x, y, 3).peak == 6 * 32 * 8


def test_the_hand_count_of_buffers() -> None:
    assert module.expected_peak_buffers(16, 0) == 17
    assert module.expected_peak_buffers(16, 4) == 8  # 4 inputs + 4 outputs
    assert module.expected_peak_buffers(10, 3) == 6  # segments 3, 3, 3, 1
    assert module.segment_lengths(10, 3) == [3, 3, 3, 1]


def test_a_counter_that_counts_shared_buffers_twice_fails_the_hand_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def save(self: Counters, arrays: tuple[np.ndarray, ...]) -> int:
        added = sum(a.nbytes for a in arrays)
        for array in arrays:
            self._live.setdefault(id(array), [array, 0])[1] += 1
        self.saved_live += added
        self.saved_peak = max(self.saved_peak, self.saved_live)
        return added

    monkeypatch.setattr(Counters, "save", save)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("the counters' peak activation bytes equal the count by hand").passed


def test_a_peak_that_grows_linearly_fails_the_sqrt_n_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(module, "peak_at_root", lambda params, n: n * 1000)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("peak memory grows like √n").passed


def test_a_recomputation_that_differs_from_the_forward_fails_the_identical_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Like dropout without replaying the RNG: every call of the activation is a little different.
    calls = itertools.count()

    def drifting(h: Tensor) -> Tensor:
        return h.tanh() * (1 + 1e-3 * next(calls))

    monkeypatch.setattr(module, "activation", drifting)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("checkpointed gradients are bit-for-bit identical").passed


def test_a_checkpoint_that_keeps_everything_fails_the_memory_and_recompute_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain_call: Callable[..., Tensor] = lambda fn, *args: fn(*args)  # noqa: E731
    monkeypatch.setattr(module, "checkpoint", plain_call)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("checkpointing every √n").passed
    assert not demo.check("recomputation costs about one extra forward pass").passed
    assert demo.check("checkpointed gradients are bit-for-bit identical").passed


@pytest.mark.parametrize(
    "params", [{"depth": 8}, {"depth": 26}, {"width": 33}, {"batch": 0}, {"seed": -1}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
