"""rnn_clipping: the norm grows about ρ per step, clipping caps it, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from app.demos import get_demo
from tests.demos.mutated import fails, values, with_bug

DEMO = get_demo("rnn_clipping")


def test_the_gradient_explodes_then_is_capped() -> None:
    v = values(DEMO.run_with({"rho": 1.3, "steps": 30, "max_norm": 1.0, "seed": 2}))
    norms = np.asarray(v["‖∇θ L‖ for T = 1…"])
    assert norms[-1] > 1000 * norms[0]
    assert v["‖g‖ after clipping"] == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize(
    ("bug", "claim"),
    [
        ("optim.clip_grad_norm:each tensor clipped on its own", "after clipping the joint norm"),
        (
            "optim.clip_grad_norm:always rescaled to max_norm, small ones too",
            "a gradient already below",
        ),
        ("optim.clip_grad_norm:max_norm off by 1e-4", "after clipping the joint norm"),
    ],
)
def test_each_clipping_bug_fails(monkeypatch: pytest.MonkeyPatch, bug: str, claim: str) -> None:
    assert fails(with_bug(monkeypatch, "rnn_clipping", bug), claim)
