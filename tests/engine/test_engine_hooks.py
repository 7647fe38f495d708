"""Gradient hooks (Tensor.register_hook) and freezing (Tensor.requires_grad_), issue 12 item 11."""

import numpy as np
import pytest

from app.engine import Tensor, count, gradients, linear


def test_a_leaf_hook_sees_the_complete_gradient_and_its_result_accumulates() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen: list[np.ndarray] = []

    def inspect(g: Tensor) -> None:
        seen.append(g.data.copy())

    x.register_hook(inspect)
    x.register_hook(lambda g: g * 10)
    # x has two consumers: the hook runs once, with both contributions added (2x + 1).
    ((x * x).sum() + x.sum()).backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(x.grad, [30.0, 50.0, 70.0])


def test_hooks_run_in_order_each_seeing_the_previous_result() -> None:
    x = Tensor([1.0, -1.0], requires_grad=True)
    calls: list[tuple[str, list[float]]] = []
    x.register_hook(lambda g: calls.append(("first", g.data.tolist())) or g + 1)  # type: ignore[func-returns-value]
    x.register_hook(lambda g: calls.append(("second", g.data.tolist())) or g * 2)  # type: ignore[func-returns-value]
    (x * 3).sum().backward()
    assert calls == [("first", [3.0, 3.0]), ("second", [4.0, 4.0])]
    np.testing.assert_array_equal(x.grad, [8.0, 8.0])


def test_a_non_leaf_hook_changes_what_flows_to_the_parents() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    # d(sum b^2)/db = 2b = [6, 12]; the hook replaces it with ones, so da = 3 * 1.
    b.register_hook(lambda g: Tensor(np.ones(2)))
    b.retain_grad()
    (b * b).sum().backward()
    np.testing.assert_array_equal(a.grad, [3.0, 3.0])
    # retain_grad stores the gradient after the tensor's hooks, as torch does.
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_a_hook_may_return_an_ndarray() -> None:
    x = Tensor([2.0], requires_grad=True)
    x.register_hook(lambda g: np.array([5.0]))
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0])


def test_remove_unregisters_and_a_handle_works_as_a_context_manager() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    handle.remove()  # harmless
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    x.grad = None
    with x.register_hook(lambda g: g * -1):
        (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [-2.0, -2.0])
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_hooks_fire_for_autograd_gradients_without_touching_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 2)
    (dx,) = gradients((x**3).sum(), x)
    np.testing.assert_allclose(dx.data, 2 * 3 * x.data**2)
    assert x.grad is None


def test_a_hook_in_a_differentiable_backward_stays_differentiable() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x**3
    # The gradient reaching y is y itself (it depends on x); the hook doubles it, on a Tensor.
    y.register_hook(lambda g: g * 2)
    (dx,) = gradients((y * y).sum() / 2, x, create_graph=True)
    np.testing.assert_allclose(dx.data, 6 * x.data**5)  # 2 y * 3 x^2
    (ddx,) = gradients(dx.sum(), x)
    # dx = 2 y * 3 x^2 reads y, so the second backward passes through y and (as in torch) the
    # hook doubles that gradient too: d/dx through y is 2 * 6 x^2 * 3 x^2 = 36 x^4, plus the
    # direct 2 y * 6 x = 12 x^4. A hook result cut from the graph would leave only 12 x^4.
    np.testing.assert_allclose(ddx.data, 48 * x.data**4)


def test_hook_errors() -> None:
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        Tensor([1.0]).register_hook(lambda g: g)
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: np.zeros(3))
    with pytest.raises(ValueError, match=r"returned a gradient of shape \(3,\)"):
        (x * 1).sum().backward()
    with pytest.raises(ValueError, match="must be callable"):
        x.register_hook(3)  # type: ignore[arg-type]


def test_tensors_without_hooks_carry_none() -> None:
    # The backward loop tests `node._hooks` once per node; nothing else is paid without hooks.
    x = Tensor([1.0], requires_grad=True)
    assert x._hooks is None and (x * 2)._hooks is None


# --- requires_grad_ ------------------------------------------------------------------------------
def _backward_linear_flops(weight: Tensor, bias: Tensor, x: Tensor) -> int:
    with count() as counters:
        linear(x, weight, bias).sum().backward()
    return counters.flops["backward"]["linear"]


def test_freezing_a_weight_skips_its_dW_work_in_backward() -> None:
    batch, n_in, n_out = 8, 4, 5
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((batch, n_in)))  # an input: no dX either way
    weight = Tensor(rng.standard_normal((n_out, n_in)), requires_grad=True)
    bias = Tensor(np.zeros(n_out), requires_grad=True)
    trained = _backward_linear_flops(weight, bias, x)
    # dW = G^T X is batch * n_out * n_in multiply-adds; db sums G, batch * n_out.
    assert trained == batch * n_out * n_in + batch * n_out
    assert weight.requires_grad_(False) is weight
    weight.grad = None
    frozen = _backward_linear_flops(weight, bias, x)
    assert frozen == batch * n_out  # only db is left
    assert trained - frozen == batch * n_out * n_in
    assert weight.grad is None and bias.grad is not None
    weight.requires_grad_()
    assert _backward_linear_flops(weight, bias, x) == trained


def test_requires_grad_errors_follow_torch() -> None:
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)
    assert y.requires_grad_(True) is y  # asking a non-leaf for what it already does is fine
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor(np.array([1, 2]), dtype=np.int64).requires_grad_()
