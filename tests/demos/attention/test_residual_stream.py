"""residual_stream: logits as a sum of writes, the gradient at each addition, failing bugs."""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, with_bug

DEMO = get_demo("residual_stream")


def test_overwriting_fan_out_fails_the_addition_check(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "residual_stream", "autograd.fan_out:overwrite instead of sum")
    assert fails(demo, "at every addition")


def test_a_dropped_branch_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "residual_stream", "add.vjp:second input gets no gradient")
    assert fails(demo, "at every addition", "the gradient at the embeddings")
    assert demo.check("the logits are the sum").passed
