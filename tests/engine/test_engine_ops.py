"""Every op's gradient passes gradcheck in float64, over random shapes and broadcast pairings."""

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.engine import (
    Tensor,
    cross_entropy,
    gradcheck,
    log_softmax,
    maximum,
    mse_loss,
    relu,
    softmax,
)

FAST = settings(max_examples=20, deadline=None)
SHAPES = [(), (4,), (3, 4), (1, 4)]


def values(shape: tuple[int, ...], low: float = -2.0, high: float = 2.0, **kw: Any) -> Any:
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high), **kw)


def away_from_zero(shape: tuple[int, ...]) -> Any:
    """Values with |x| >= 0.1, where relu and friends are differentiable."""
    signs = hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    return st.tuples(values(shape, 0.1, 2.0), signs).map(lambda p: p[0] * p[1])


def grid(shape: tuple[int, ...], step: float = 0.25, **kw: Any) -> Any:
    """Values on a grid: equal (an exact tie) or far apart, never within eps of a kink."""
    points = [round(-2 + step * i, 10) for i in range(int(4 / step) + 1)]
    return hnp.arrays(np.float64, shape, elements=st.sampled_from(points), **kw)


BINARY: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], Any, Any]] = {
    "add": (lambda a, b: a + b, values, values),
    "sub": (lambda a, b: a - b, values, values),
    "mul": (lambda a, b: a * b, values, values),
    "div": (lambda a, b: a / b, values, away_from_zero),
    "pow": (lambda a, b: a**b, lambda s: values(s, 0.5, 2.0), values),
    "maximum": (maximum, grid, grid),
}


@pytest.mark.parametrize(
    ("op", "shape_a", "shape_b"),
    [(op, a, b) for op in BINARY for a, b in itertools.product(SHAPES, SHAPES)],
)
@FAST
@given(data=st.data())
def test_binary_op_gradients_every_broadcast_pairing(
    op: str, shape_a: tuple[int, ...], shape_b: tuple[int, ...], data: st.DataObject
) -> None:
    fn, strategy_a, strategy_b = BINARY[op]
    a = data.draw(strategy_a(shape_a))
    b = data.draw(strategy_b(shape_b))
    report = gradcheck(fn, [a, b])
    assert report.passed, str(report)


UNARY: dict[str, tuple[Callable[[Tensor], Tensor], Any]] = {
    "neg": (lambda x: -x, values),
    "exp": (lambda x: x.exp(), values),
    "log": (lambda x: x.log(), lambda s: values(s, 0.2, 3.0)),
    "tanh": (lambda x: x.tanh(), values),
    "sigmoid": (lambda x: x.sigmoid(), values),
    "relu": (relu, away_from_zero),
    "square": (lambda x: x**2, values),
    "sum": (lambda x: x.sum(), values),
    "mean": (lambda x: x.mean(), values),
    "sum_axis0_keepdims": (lambda x: x.sum(axis=0, keepdims=True), values),
    "mean_last": (lambda x: x.mean(axis=-1), values),
    "max": (lambda x: x.max(), lambda s: grid(s, 0.01, unique=True)),
    "max_axis0": (lambda x: x.max(axis=0), lambda s: grid(s, 0.01, unique=True)),
    "reshape": (lambda x: x.reshape(-1) * 2, values),
    "transpose": (lambda x: x.T * 2, values),
    "getitem": (lambda x: x[np.zeros(3, dtype=int)] if x.ndim else x * 1, values),
    "softmax": (lambda x: softmax(x, axis=-1) * 3, values),
    "log_softmax": (lambda x: log_softmax(x, axis=0) * 3, values),
}


@pytest.mark.parametrize("op", list(UNARY))
@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_unary_op_gradients_random_shapes(
    op: str, shape: tuple[int, ...], data: st.DataObject
) -> None:
    fn, strategy = UNARY[op]
    x = data.draw(strategy(shape))
    report = gradcheck(fn, [x])
    assert report.passed, str(report)


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [
        ((4,), (4,)),
        ((3, 4), (4,)),
        ((4,), (4, 2)),
        ((3, 4), (4, 2)),
        ((2, 3, 4), (4, 2)),
        ((2, 3, 4), (2, 4, 5)),
        ((1, 3, 4), (2, 4, 2)),
        ((4,), (2, 4, 3)),
    ],
)
def test_matmul_gradients(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    assert gradcheck(lambda a, b: a @ b, [a, b]).passed


def test_losses_gradients() -> None:
    rng = np.random.default_rng(1)
    logits, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    assert gradcheck(lambda p: mse_loss(p, target), [logits]).passed
    assert gradcheck(lambda z: cross_entropy(z, labels), [logits]).passed
    probs = softmax(Tensor(target)).data
    assert gradcheck(lambda z: cross_entropy(z, probs), [logits]).passed


def test_cross_entropy_gradient_is_p_minus_y() -> None:
    logits = Tensor(np.random.default_rng(2).standard_normal((4, 3)), requires_grad=True)
    labels = np.array([2, 0, 1, 2])
    cross_entropy(logits, labels).backward()
    p = softmax(Tensor(logits.data)).data
    assert logits.grad is not None
    np.testing.assert_allclose(logits.grad, (p - np.eye(3)[labels]) / 4, rtol=1e-12)


def test_stable_formulations_do_not_overflow() -> None:
    x = Tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    out = log_softmax(x).sum() + softmax(x).sum() + x.sigmoid().sum()
    out.backward()
    assert x.grad is not None
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
