"""logsumexp_stable: log-sum-exp with the maximum subtracted."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

NAME = "logsumexp_stable"
DEMO = get_demo(NAME)


def test_naive_overflows_and_the_engine_does_not() -> None:
    v = values(DEMO.run_with({"seed": 0, "offset": 1000.0}))
    assert np.isinf(v["naive log Σ eᶻ"]).all()
    assert np.isfinite(v["engine logsumexp"]).all()


@pytest.mark.parametrize(
    "bug",
    ["logsumexp.vjp:every input's gradient off by 1e-4", "logsumexp.vjp:e^x not divided by Σ e^x"],
)
def test_a_wrong_gradient_fails(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    assert fails(with_bug(monkeypatch, NAME, bug), "the gradient of lse")
