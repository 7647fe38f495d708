"""checkpointing: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import checkpointing as module  # registers it
from app.demos import get_demo
from app.engine import Tensor

DEMO = get_demo("checkpointing")


def test_the_seed_changes_the_gradients() -> None:
    x, y = np.ones((2, 3)), np.zeros((2, 3))
    runs = [module.train_step(module.MLP([3] * 4, "tanh", seed=s), x, y, 2) for s in (0, 1)]
    assert not np.array_equal(runs[0].grads[0], runs[1].grads[0])


def test_sqrt_n_is_marked_on_the_charts() -> None:
    demo = DEMO.run_with({"depth": 16})
    assert all(chart.series[-1].x == [4] for chart in demo.charts)


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
