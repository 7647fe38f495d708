"""teacher_forcing: free-running errors compound, teacher-forced ones do not; checks can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("teacher_forcing")


def test_the_free_running_error_grows_along_the_sequence() -> None:
    v = values(DEMO.run_with({"steps": 30, "seed": 5}))
    free = np.asarray(v["‖ŷ_t − y_t‖, free running"])
    forced = np.asarray(v["‖ŷ_t − y_t‖, teacher forced"])
    assert free[0] == pytest.approx(forced[0])  # both start from the true y_0
    assert free[-1] > 3 * forced.mean()


@pytest.mark.parametrize(
    "bug", ["rnn_cell.forward:output off by 1e-4", "rnn_cell.forward:h W_hh instead of h W_hhᵀ"]
)
def test_a_wrong_cell_fails_the_reproduction(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, "teacher_forcing", bug), "with the true weights")
