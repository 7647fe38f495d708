"""jvp_vs_vjp: passes for every seed, and each of its checks can fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from app.demos import get_demo
from app.demos import jvp_vs_vjp as module  # registers it
from app.engine import pointwise

DEMO = get_demo("jvp_vs_vjp")
EXPLICIT = "the hand-written Jacobian J equals central differences"
JV = "forward mode's Jv equals J @ v"
UJ = "reverse mode's uᵀJ equals u @ J"
DOT = "u·(Jv) from forward mode equals (uᵀJ)·v"


@pytest.mark.parametrize("sizes", [(1, 1), (6, 6), (6, 1), (1, 6)])
def test_every_check_passes_for_other_shapes(sizes: tuple[int, int]) -> None:
    demo = DEMO.run_with({"n": sizes[0], "m": sizes[1]})
    assert demo.passed, [c for c in demo.checks if not c.passed]


def test_the_products_have_the_shapes_of_the_card() -> None:
    values = {s.label: s.value for s in DEMO.run_with({"n": 4, "m": 3}).steps}
    assert np.shape(values["J (by hand)"]) == (3, 4)
    assert np.shape(values["Jv by forward mode"]) == (3,)
    assert np.shape(values["uᵀJ by reverse mode"]) == (4,)


def test_a_skewed_forward_mode_rule_fails_jv_and_the_dot_product(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = pointwise.tanh_jvp

    def skewed(*args: Any) -> Any:
        return original(*args) * (1 + 1e-4)

    monkeypatch.setattr(pointwise, "tanh_jvp", skewed)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(JV).passed
    assert not demo.check(DOT).passed
    assert demo.check(UJ).passed


def test_a_skewed_reverse_mode_rule_fails_ujt_and_the_dot_product(
    skew: Callable[..., None],
) -> None:
    skew(pointwise, "tanh_vjp")
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(UJ).passed
    assert not demo.check(DOT).passed
    assert demo.check(JV).passed


def test_a_jacobian_missing_a_product_rule_term_fails_every_comparison_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def without_the_b_term(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
        t = np.tanh(a @ x)
        return ((1 - t * t) * (b @ x))[:, None] * a

    monkeypatch.setattr(module, "explicit_jacobian", without_the_b_term)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check(EXPLICIT).passed
    assert not demo.check(JV).passed
    assert not demo.check(UJ).passed


@pytest.mark.parametrize("params", [{"n": 0}, {"n": 7}, {"m": 0}, {"m": 7}, {"seed": -1}, {"k": 1}])
def test_out_of_range_params_are_refused(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DEMO.run_with(params)
