"""batchnorm_leak: layer norm's gradient stays on the token, batch norm's leaks."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("batchnorm_leak")


def test_layer_norm_gradient_is_on_one_token_only() -> None:
    per_token = values(DEMO.run_with({"seed": 0}))["|dx| per token, layer norm (sequence 0)"]
    assert per_token[1] > 0 and per_token[0] == 0 and all(per_token[2:] == 0)


def test_a_skewed_layer_norm_rule_fails_central_differences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bug = "layer_norm.vjp:input 0's gradient off by 1e-4"
    demo = with_bug(monkeypatch, "batchnorm_leak", bug)
    assert fails(demo, "layer norm's gradient matches central differences")
    assert demo.check("batch norm's gradient matches").passed
