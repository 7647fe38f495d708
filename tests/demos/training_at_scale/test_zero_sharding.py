"""zero_sharding: ZeRO bytes per device, a sharded Adam step and a split layer."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "zero_sharding"
DEMO = get_demo(NAME)


def test_zero_paper_ratios() -> None:
    v = values(DEMO.run_with({"seed": 0, "devices": 4, "parameters": 96}))
    assert v["bytes per device: DP, ZeRO-1, ZeRO-2, ZeRO-3"].tolist() == [1536, 672, 528, 384]


def test_uneven_shards_use_the_largest() -> None:
    demo = DEMO.run_with({"seed": 1, "devices": 8, "parameters": 100})
    assert values(demo)["largest shard ⌈Ψ/N⌉"] == 13
    assert demo.passed


@pytest.mark.parametrize(
    "bug", ["optim.adam_moments:β₁ off by 1e-4", "optim.adam_bias_correction:only m corrected"]
)
def test_a_wrong_adam_step_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, NAME, bug), "2 Adam steps on N shards")


def test_a_wrong_weight_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, NAME, "linear.vjp:input 1's gradient off by 1e-4")
    assert fails(demo, "each column shard's dW")
