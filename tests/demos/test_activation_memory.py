"""activation_memory: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import activation_memory as module  # registers it
from app.demos import get_demo
from app.engine import Tensor

DEMO = get_demo("activation_memory")


def test_same_params_same_bytes_and_the_values_do_not_matter() -> None:
    # Memory depends on shapes only, so another seed (other weights and data) saves the same.
    first, again, other = (DEMO.run_with({"seed": s}) for s in (7, 7, 8))
    for a, b, c in zip(first.steps, again.steps, other.steps, strict=True):
        assert np.array_equal(a.value, b.value) and np.array_equal(a.value, c.value)
    assert len(first.charts) == 3


def test_the_bytes_follow_the_params() -> None:
    demo = DEMO.run_with({"batch": 2, "width": 4, "depth": 1})
    values = {step.label: step.value for step in demo.steps}
    # One hidden layer: its 2×4 float64 output (64 bytes) and its bool mask (8 bytes).
    assert np.array_equal(np.asarray(values["activation bytes vs batch"])[:, 0], [2, 72])
    assert values["bytes per example, per unit, per hidden layer"] == 9


def test_counting_the_weights_as_activations_fails_width_and_doubling_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # W is n×n: counted as activation memory it makes the bytes quadratic in the width.
    monkeypatch.setattr(module, "activation_bytes", lambda memory: memory.saved)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("saved activation bytes grow linearly with width").passed
    assert not demo.check("doubling the width doubles the activation bytes").passed
    assert not demo.check("doubling the batch doubles the activation bytes").passed


def test_a_network_that_widens_with_depth_fails_the_depth_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        module, "layer_sizes", lambda width, depth: [width * (i + 1) for i in range(depth + 2)]
    )
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("saved activation bytes grow linearly with depth").passed
    assert not demo.check("doubling the depth doubles the activation bytes").passed


def test_a_loss_over_every_pair_in_the_batch_fails_the_batch_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A B×B similarity matrix (as in contrastive losses) is saved: quadratic in the batch.
    def pairwise(output: Tensor, target: np.ndarray) -> Tensor:
        return (output @ output.T).tanh().sum()

    monkeypatch.setattr(module, "loss_of", pairwise)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("saved activation bytes grow linearly with batch").passed
    assert not demo.check("doubling the batch doubles the activation bytes").passed


@pytest.mark.parametrize(
    "params", [{"batch": 0}, {"batch": 17}, {"width": 1}, {"width": 33}, {"depth": 7}]
)
def test_out_of_range_params_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
