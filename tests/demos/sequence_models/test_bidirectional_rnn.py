"""bidirectional_rnn: the backward half reads the future, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("bidirectional_rnn")


def test_the_two_halves_depend_on_opposite_sides() -> None:
    v = values(DEMO.run_with({"steps": 9, "seed": 1}))
    fwd, bwd = (
        np.asarray(v["‖∂y→_t/∂x_s‖ for s = 0…L−1"]),
        np.asarray(v["‖∂y←_t/∂x_s‖ for s = 0…L−1"]),
    )
    assert np.all(fwd[:5] > 0) and np.all(fwd[5:] == 0)
    assert np.all(bwd[:4] == 0) and np.all(bwd[4:] > 0)


def test_a_wrong_cell_fails_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = with_bug(monkeypatch, "bidirectional_rnn", "rnn_cell.forward:b_hh left out")
    assert fails(demo, "both halves equal the recurrence")
    assert demo.check("the forward half at t").passed  # causality is structural
