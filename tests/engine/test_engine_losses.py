"""Losses: values PyTorch 2.13 gives for the same inputs, gradients by gradcheck and forward mode,
second derivatives, stability at extreme logits, and ignore_index / weights / smoothing."""

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.engine import Tensor, check_jvp_vjp, grad, gradcheck, hvp, log_softmax
from app.engine.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)

FAST = settings(max_examples=20, deadline=None)
X = np.array([[1.0, -0.5, 2.0], [0.3, 0.1, -1.2], [0.0, 0.5, 0.25]])
Y = np.array([2, -100, 1])
W = np.array([1.0, 2.0, 0.5])
RNG = np.random.default_rng(0)
TARGET = RNG.standard_normal((3, 3))
BITS = (RNG.random((3, 3)) > 0.5).astype(float)
PROBS = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])

LOSSES: dict[str, Callable[[Tensor], Tensor]] = {
    "ce": lambda x: cross_entropy(x, np.array([2, 0, 1])),
    "ce_weighted_ignored_smoothed": lambda x: cross_entropy(x, Y, W, label_smoothing=0.2),
    "ce_probs_sum": lambda x: cross_entropy(x, PROBS, reduction="sum", label_smoothing=0.1),
    "nll_none": lambda x: nll_loss(log_softmax(x), Y, W, reduction="none"),
    "bce_logits": lambda x: binary_cross_entropy_with_logits(x, BITS, pos_weight=W),
    "bce": lambda x: binary_cross_entropy(x.sigmoid(), BITS, weight=W),
    "huber": lambda x: huber_loss(x, TARGET, delta=0.4),
    "smooth_l1": lambda x: smooth_l1_loss(x, TARGET, reduction="sum", beta=0.4),
    "l1": lambda x: l1_loss(x, TARGET),
    "kl": lambda x: kl_div(log_softmax(x), PROBS, reduction="batchmean"),
    "kl_log_target": lambda x: kl_div(log_softmax(x), np.log(PROBS + 0.1), log_target=True),
    "mse_none": lambda x: mse_loss(x, TARGET, reduction="none"),
}
SMOOTH = ("ce", "ce_weighted_ignored_smoothed", "ce_probs_sum", "bce_logits", "bce", "kl")


def inputs() -> st.SearchStrategy:
    # Kept 0.05 from TARGET so |x - t| stays off the kinks of l1, huber and smooth_l1 (0, ±0.4).
    base = hnp.arrays(np.float64, (3, 3), elements=st.floats(-2, 2))
    kinks = np.stack([TARGET, TARGET + 0.4, TARGET - 0.4])
    return base.filter(lambda x: (np.abs(x[None] - kinks) > 0.05).all())


@pytest.mark.parametrize("name", sorted(LOSSES))
@FAST
@given(x=inputs())
def test_gradcheck_and_forward_mode(name: str, x: np.ndarray) -> None:
    assert gradcheck(LOSSES[name], [x]).passed
    assert check_jvp_vjp(LOSSES[name], [x]).passed


@pytest.mark.parametrize("name", SMOOTH)
def test_hvp_matches_finite_differences_of_the_gradient(name: str) -> None:
    f = LOSSES[name]
    x, v = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    g, h = grad(f), 1e-5
    np.testing.assert_allclose(
        hvp(f, x, v), (g(x + h * v) - g(x - h * v)) / (2 * h), rtol=1e-5, atol=1e-7
    )


def test_values_are_pytorchs() -> None:
    # Each reference is F.<loss>(...).item() in PyTorch 2.13, float64, for the same inputs.
    x = Tensor(X)
    assert cross_entropy(x, Y, W, label_smoothing=0.1).item() == pytest.approx(
        0.8390413785976281, abs=1e-14
    )
    assert cross_entropy(x, Y, reduction="sum", label_smoothing=0.3).item() == pytest.approx(
        1.6658771162583608, abs=1e-14
    )
    bits = (X > 0.2).astype(float)
    assert binary_cross_entropy_with_logits(
        x, bits, pos_weight=[2.0, 1.0, 0.5]
    ).item() == pytest.approx(0.52618309508513, abs=1e-14)
    np.testing.assert_allclose(
        binary_cross_entropy(Tensor([0.0, 1.0, 0.5]), [1.0, 1.0, 0.0], reduction="none").data,
        [100.0, 0.0, math.log(2)],
    )
    zeros = np.zeros((3, 3))
    assert huber_loss(x, zeros, delta=0.4).item() == pytest.approx(0.19569444444444448)
    assert smooth_l1_loss(x, zeros, beta=0.4).item() == pytest.approx(0.48923611111111104)
    assert huber_loss(x, zeros, delta=0.4).item() == pytest.approx(
        0.4 * smooth_l1_loss(x, zeros, beta=0.4).item()
    )
    kl = kl_div(log_softmax(x), PROBS, reduction="batchmean").item()
    assert kl == pytest.approx(1.097312842014336, abs=1e-14)


def test_ignored_rows_get_no_gradient_and_count_for_nothing() -> None:
    x = Tensor(X, requires_grad=True)
    cross_entropy(x, Y).backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad[1], 0.0)
    kept = Tensor(X[[0, 2]], requires_grad=True)
    cross_entropy(kept, Y[[0, 2]]).backward()
    assert kept.grad is not None
    np.testing.assert_allclose(x.grad[[0, 2]], kept.grad)  # the mean is over the 2 kept rows


def test_label_smoothing_zero_is_plain_cross_entropy_and_one_is_uniform() -> None:
    x = Tensor(X)
    targets = np.array([2, 0, 1])
    plain = cross_entropy(x, targets).item()
    assert cross_entropy(x, targets, label_smoothing=0.0, reduction="sum").item() == (
        pytest.approx(3 * plain)
    )
    uniform = cross_entropy(x, np.full((3, 3), 1 / 3)).item()
    assert cross_entropy(x, targets, label_smoothing=1.0).item() == pytest.approx(uniform)


def test_extreme_logits_give_exact_finite_losses_and_gradients() -> None:
    x = Tensor(np.array([1000.0, -1000.0, 0.0]), requires_grad=True)
    loss = binary_cross_entropy_with_logits(x, [0.0, 1.0, 1.0], reduction="none")
    np.testing.assert_allclose(loss.data, [1000.0, 1000.0, math.log(2)])
    loss.sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad, [1.0, -1.0, -0.5])  # σ(x) − y
    big = Tensor(np.array([[1000.0, 0.0]]), requires_grad=True)
    cross_entropy(big, np.array([1])).backward()
    assert big.grad is not None
    assert np.isfinite(big.grad).all()


def test_bad_arguments_are_refused() -> None:
    x = Tensor(X)
    with pytest.raises(ValueError, match="reduction"):
        l1_loss(x, TARGET, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        cross_entropy(x, Y, label_smoothing=1.5)
    with pytest.raises(ValueError, match="weight"):
        cross_entropy(x, Y, weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="target indices"):
        cross_entropy(x, np.array([0, 3, 1]))
    with pytest.raises(ValueError, match="probabilities"):
        binary_cross_entropy(x, BITS)
    with pytest.raises(ValueError, match="delta"):
        huber_loss(x, TARGET, delta=0.0)
    with pytest.raises(ValueError, match="target shape"):
        huber_loss(x, np.zeros(3))


@pytest.mark.parametrize(
    "options", [{}, {"label_smoothing": 0.1}, {"weight": np.array([1.0, 2.0, 3.0])}]
)
def test_every_row_ignored_gives_a_nan_loss_and_a_zero_gradient_as_torch_does(
    options: dict,
) -> None:
    """torch 2.13: the mean over no rows is NaN, but its gradient is 0, so a step on such a
    batch leaves the parameters as they were instead of writing NaN into them."""
    ignored = np.array([-100, -100, -100])
    x = Tensor(X.copy(), requires_grad=True)
    loss = cross_entropy(x, ignored, **options)
    loss.backward()
    assert np.isnan(loss.item())
    assert x.grad is not None and np.array_equal(x.grad, np.zeros_like(X))
    assert cross_entropy(Tensor(X), ignored, reduction="sum").item() == 0.0
