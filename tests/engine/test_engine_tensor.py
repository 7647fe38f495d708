"""Tensor semantics users know from PyTorch: accumulation, retain_graph, errors, dtypes."""

import numpy as np
import pytest

from app.engine import Tensor, count, linear, maximum, no_grad, pointwise, relu, topological_order


def test_grad_accumulates_across_backward_calls_until_zero_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    x.zero_grad()
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_second_backward_through_freed_graph_says_retain_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_and_accumulates() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_backward_on_non_scalar_needs_gradient() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"gradient="):
        y.backward()
    y.backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])


def test_no_grad_records_nothing() -> None:
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf and y.parents == ()
    assert (x * 2).requires_grad


def test_leaf_and_non_leaf() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    h = (x * 3).retain_grad()
    z = x * 2
    (h.sum() + z.sum()).backward()
    assert x.is_leaf and not h.is_leaf and h.op == "mul"
    np.testing.assert_array_equal(h.grad, [1.0, 1.0])
    assert z.grad is None  # non-leaves keep no .grad unless asked, as in PyTorch


def test_detach_and_item() -> None:
    x = Tensor([[2.0]], requires_grad=True)
    d = (x * 3).detach()
    assert d.is_leaf and not d.requires_grad and d.item() == 6.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_kept_through_ops_and_grads(dtype: type) -> None:
    x = Tensor(np.ones((3, 4), dtype=dtype), requires_grad=True)
    w = Tensor(np.ones((4, 2), dtype=dtype), requires_grad=True)
    out = (((x @ w).tanh() * 0.5 + 1.0) ** 2 / 3.0).exp().log().mean()
    out.backward()
    assert out.dtype == dtype and x.grad is not None and w.grad is not None
    assert x.grad.dtype == dtype and w.grad.dtype == dtype


def test_integer_data_becomes_float64() -> None:
    assert Tensor([1, 2]).dtype == np.float64


def test_shape_mismatch_errors_name_both_shapes() -> None:
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones(5))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5,\)"):
        a + b
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 4\)"):
        a @ a


def test_ten_thousand_op_chain_backward() -> None:
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)


def test_topological_order_exposes_the_graph() -> None:
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(3.0, requires_grad=True, name="b")
    c = a * b
    d = c + a
    order = topological_order(d)
    assert order[-1] is d and order.index(c) > order.index(a) and order.index(c) > order.index(b)
    assert [n.op for n in order if not n.is_leaf] == ["mul", "add"]
    assert d.parents == (c, a) and c.data == 6.0


def test_relu_gradient_at_zero_is_a_named_convention() -> None:
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])
    assert pointwise.RELU_GRAD_AT_ZERO == 0.0
    for at_zero in (1.0, 0.5):
        x.zero_grad()
        relu(x, grad_at_zero=at_zero).sum().backward()
        np.testing.assert_array_equal(x.grad, [0.0, at_zero, 1.0])


def test_max_ties_split_the_gradient() -> None:
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 0.0], requires_grad=True)
    maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 0.0])


def test_indexing_with_repeated_indices_adds_gradients() -> None:
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])
    m = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    (m[1:, ::2] * 2).sum().backward()
    expected = np.zeros((3, 4))
    expected[1:, ::2] = 2
    np.testing.assert_array_equal(m.grad, expected)


def test_first_layer_does_not_compute_input_gradient() -> None:
    x = Tensor(np.ones((8, 5)))
    w = Tensor(np.ones((3, 5)), requires_grad=True)
    with count() as counter:
        linear(x, w).sum().backward()
    assert counter.flops["backward"]["linear"] == 8 * 5 * 3
    assert x.grad is None


def test_grad_is_writable_array() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    assert x.grad is not None and x.grad.flags.writeable
    x.grad[0, 0] = 5.0
