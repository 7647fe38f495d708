"""gelu_silu: known minima, slope 1/2 at 0, and the textbook slips fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.engine import activations
from tests.demos.activations._helpers import fails, run


def test_the_dips_are_where_torch_puts_them() -> None:
    demo = run("gelu_silu")
    assert demo.passed
    assert demo.check("GELU's dip").measured == pytest.approx(-0.75179, abs=1e-4)
    assert demo.check("SiLU's dip").measured == pytest.approx(-1.27846, abs=1e-4)


def test_skewed_gelu_and_silu_rules_fail(skew: Callable[..., None]) -> None:
    skew(activations, "gelu_vjp")
    skew(activations, "silu_vjp")
    assert fails(run("gelu_silu"), "engine's gelu′", "engine's silu′", "at x = 0 both")


def test_gelu_without_its_x_phi_term_has_no_dip(monkeypatch: pytest.MonkeyPatch) -> None:
    def cdf_only(g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
        return (g * (0.5 * (1 + activations._erf(xs[0] * activations.INV_SQRT2))),)

    monkeypatch.setattr(activations, "gelu_vjp", cdf_only)
    assert fails(run("gelu_silu"), "engine's gelu′", "non-monotone", "GELU's dip")
