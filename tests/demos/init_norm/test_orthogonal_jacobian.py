"""orthogonal_jacobian: singular values 1 for orthogonal layers, and checks that can fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.demos import get_demo
from app.demos.init_norm import orthogonal_jacobian as module  # registers it
from app.engine import arith, init

DEMO = get_demo("orthogonal_jacobian")


def test_product_multiplies_last_layer_first() -> None:
    a, b = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[2.0, 0.0], [0.0, 3.0]])
    assert np.array_equal(module.product([a, b]), b @ a)


def test_orthogonal_spectrum_is_flat() -> None:
    demo = DEMO.run_with({"seed": 5, "depth": 8, "width": 8})
    assert np.allclose(np.asarray(demo.steps[0].value), 1.0)


def test_a_skewed_matmul_rule_fails_the_jacobian_check(skew: Callable[..., None]) -> None:
    skew(arith, "matmul_vjp")
    assert not DEMO.run_with({"seed": 0}).check("the engine's reverse-mode Jacobian").passed


def test_normalised_rows_without_qr_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    def rows_only(tensor: np.ndarray, gain: float = 1.0, generator: object = None) -> np.ndarray:
        z = np.random.default_rng(0).standard_normal(tensor.shape)
        tensor[...] = z / np.linalg.norm(z, axis=1, keepdims=True)
        return tensor

    monkeypatch.setattr(init, "orthogonal_", rows_only)
    demo = DEMO.run_with({"seed": 0})
    assert not demo.check("orthogonal_ gives WᵀW = I").passed
    assert not demo.check("orthogonal: every singular value").passed
