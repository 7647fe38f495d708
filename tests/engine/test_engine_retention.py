"""Issue 10 engine fixes: saved values freed by backward, a second backward, zero_grad, SGD,
gradcheck."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from app.engine import SGD, Linear, Tensor, arith, gradcheck, mse_loss


def test_an_output_a_rule_needs_is_kept_until_backward_used_it() -> None:
    x = Tensor([0.5, -1.0], requires_grad=True)
    t = x.tanh()
    t_data = weakref.ref(t.data)
    loss = (t * 3).sum()
    del t
    gc.collect()
    assert t_data() is not None  # tanh's rule reads its output
    loss.backward()
    gc.collect()
    assert t_data() is None  # freed by backward
    assert x.grad is not None
    np.testing.assert_allclose(x.grad, 3 * (1 - np.tanh(x.data) ** 2))


def test_a_second_backward_through_a_graph_that_saved_nothing_works() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()  # add and sum save nothing, so nothing was freed (as in PyTorch)
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_a_second_backward_that_needs_freed_saved_values_raises() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ((x + 1) * x).sum()  # mul saved its inputs
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_zero_grad_sets_none_by_default_and_zeros_in_place_on_request() -> None:
    layer = Linear(3, 2, seed=0)
    mse_loss(layer(np.ones((1, 3))), np.zeros((1, 2))).backward()
    grad = layer.weight.grad
    assert grad is not None
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is grad and not grad.any()
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias is not None and layer.bias.grad is None
    t = Tensor([1.0], requires_grad=True)
    (t * 2).sum().backward()
    t.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(t.grad, [0.0])
    t.zero_grad()
    assert t.grad is None


def test_sgd_skips_none_grads_but_moves_zeroed_ones_with_momentum_and_decay() -> None:
    def after_second_step(set_to_none: bool) -> np.ndarray:
        p = Tensor([1.0, -2.0], requires_grad=True)
        opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
        (p * p).sum().backward()
        opt.step()
        before = p.data.copy()
        opt.zero_grad(set_to_none=set_to_none)
        opt.step()
        return p.data - before

    np.testing.assert_array_equal(after_second_step(True), [0.0, 0.0])
    moved = after_second_step(False)
    # PyTorch: v = 0.9 v + (0 + 0.1 p); p -= 0.1 v, with v = 2p₀ + 0.1p₀ after the first step.
    p0 = np.array([1.0, -2.0])
    p1 = p0 - 0.1 * (2.1 * p0)
    np.testing.assert_allclose(moved, -0.1 * (0.9 * 2.1 * p0 + 0.1 * p1))
    assert np.all(moved != 0)


def test_gradcheck_of_a_scalar_reports_the_real_error_not_one_scaled_by_u(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # mul's rule made to add 1e-3·g to each input's gradient: for (x * x).sum() the analytic
    # gradient is 2x + 2e-3 where central differences give 2x, an error of exactly 2e-3.
    # Projected through a random u (0.126 at seed 0), it used to be reported as 2.5e-4.
    original = arith.mul_vjp

    def off(g: np.ndarray, *rest: object) -> tuple:
        return tuple(d + 1e-3 * g for d in original(g, *rest))  # type: ignore[arg-type]

    monkeypatch.setattr(arith, "mul_vjp", off)
    report = gradcheck(lambda x: (x * x).sum(), [np.array([0.3, -0.7])])
    assert not report.passed
    assert report.inputs[0].max_abs_error == pytest.approx(2e-3, rel=1e-6)


def test_gradcheck_of_a_non_scalar_still_projects_through_a_random_u() -> None:
    assert gradcheck(lambda x: x.tanh() * x, [np.array([0.3, -0.7, 1.1])]).passed
