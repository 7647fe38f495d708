"""truncated_bptt: gradients stop at the window start, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("truncated_bptt")


def test_the_last_window_of_the_card() -> None:
    reached = np.asarray(
        values(DEMO.run_with({"steps": 12, "window": 4}))["‖∂L_T/∂x_t‖, truncated"]
    )
    assert np.all(reached[:8] == 0) and np.all(reached[8:] > 0)


def test_never_detaching_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "truncated_bptt", "unroll.tbptt:state never detached")
    assert fails(demo, "a loss at the last step reaches exactly", "with a loss at every step")


def test_windows_one_step_late_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    # k = 2 over 7 steps: windows 0-1, 2-3, 4-5, 6 and, one step late, 0-2, 3-5, 6: the last
    # window is the same, so only the loss at every step can tell them apart.
    demo = with_bug(
        monkeypatch,
        "truncated_bptt",
        "unroll.tbptt:detached one step late (windows of k + 1)",
        steps=7,
        window=2,
    )
    assert demo.check("a loss at the last step reaches exactly").passed
    assert fails(demo, "with a loss at every step")
