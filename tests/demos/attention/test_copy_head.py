"""copy_head: an exact copy under a one-hot pattern, the predicted blur of a soft one."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("copy_head")


def test_each_output_is_the_previous_value() -> None:
    v = values(DEMO.run_with({"seed": 1, "length": 5}))
    out, vals = v["output (one-hot pattern)"], v["values v_t = W_V x_t"]
    np.testing.assert_array_equal(out[1:], vals[:-1])
    np.testing.assert_array_equal(out[0], vals[0])


def test_a_flipped_mask_convention_fails_the_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(
        monkeypatch, "copy_head", "attention.mask_convention:SDPA reads True as blocked"
    )
    assert fails(demo, "with a one-hot pattern")


def test_a_skewed_matmul_rule_fails_the_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    bug = "matmul.vjp:input 1's gradient off by 1e-4"
    assert fails(with_bug(monkeypatch, "copy_head", bug), "and the gradient at output t")
