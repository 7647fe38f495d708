"""dropout and Dropout: inverted scaling, the forward's mask in backward, seeding, eval mode."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.engine import MLP, Module, Tensor, check_jvp_vjp, gradcheck, hvp
from app.engine.dropout import Dropout, dropout

FAST = settings(max_examples=25, deadline=None)


def test_backward_uses_the_forward_mask() -> None:
    x = Tensor(np.random.default_rng(0).uniform(0.5, 2.0, (20, 30)), requires_grad=True)
    out = dropout(x, p=0.3, generator=1)
    g = np.random.default_rng(2).standard_normal(x.shape)
    out.backward(g)
    assert x.grad is not None
    # x has no zeros, so the output is zero exactly where the mask dropped an element.
    dropped = out.data == 0
    assert 0 < dropped.sum() < dropped.size
    np.testing.assert_array_equal(x.grad[dropped], 0.0)
    # A kept element passes g scaled by 1/(1 − p), as its value was.
    np.testing.assert_allclose(out.data[~dropped], x.data[~dropped] / 0.7, rtol=1e-15)
    np.testing.assert_allclose(x.grad[~dropped], g[~dropped] / 0.7, rtol=1e-15)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_expectation_is_preserved(p: float) -> None:
    # 200,000 ones: the mean of the output is 1 in expectation with standard deviation
    # sqrt(p / ((1 − p) n)) <= 0.0045 (p = 0.8); 0.02 is over 4 of them. The seed is fixed.
    n = 200_000
    out = dropout(np.ones(n), p=p, generator=0).data
    assert abs(out.mean() - 1.0) < 0.02
    assert abs((out == 0).mean() - p) < 0.01  # the fraction dropped is p


def test_same_seed_same_mask_and_a_generator_moves_on() -> None:
    x = np.ones((8, 8))
    a, b = dropout(x, generator=5).data, dropout(x, generator=5).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, dropout(x, generator=6).data)
    rng = np.random.default_rng(5)
    first = dropout(x, generator=rng).data
    np.testing.assert_array_equal(first, a)  # an int seed is default_rng(seed)
    assert not np.array_equal(first, dropout(x, generator=rng).data)


def test_eval_and_p_zero_are_the_identity_without_a_node() -> None:
    x = Tensor(np.arange(6.0), requires_grad=True)
    assert dropout(x, p=0.5, training=False) is x
    assert dropout(x, p=0.0) is x


def test_p_one_gives_zeros_and_zero_gradient() -> None:
    x = Tensor(np.arange(1.0, 7.0), requires_grad=True)
    out = dropout(x, p=1.0, generator=0)
    np.testing.assert_array_equal(out.data, 0.0)
    out.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad, 0.0)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_p_outside_zero_one_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        dropout(np.ones(3), p=p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Dropout(p)


def test_generator_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="generator"):
        dropout(np.ones(3), generator="seed")  # type: ignore[arg-type]


@FAST
@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=st.floats(-2, 2)),
    p=st.sampled_from([0.2, 0.5, 0.9]),
    seed=st.integers(0, 1000),
)
def test_gradients_reverse_and_forward(x: np.ndarray, p: float, seed: int) -> None:
    # An int seed draws the same mask on every call, so f is one fixed linear map.
    report = gradcheck(lambda x: dropout(x, p, generator=seed), [x])
    assert report.passed, str(report)
    assert check_jvp_vjp(lambda x: dropout(x, p, generator=seed), [x]).passed


def test_second_order_uses_the_mask_as_a_constant() -> None:
    # f(x) = Σ dropout(x)² = Σ (m·x)², so H v = 2·m²·v for the mask m (0 or 1/(1 − p)).
    x = np.random.default_rng(3).standard_normal(50)
    v = np.random.default_rng(4).standard_normal(50)
    mask = dropout(np.ones(50), 0.4, generator=9).data
    exact = hvp(lambda x: (dropout(x, 0.4, generator=9) ** 2).sum(), x, v)
    np.testing.assert_allclose(exact, 2 * mask**2 * v, rtol=1e-12)
    assert set(np.unique(mask)) == {0.0, 1 / 0.6}


def test_module_draws_new_masks_in_training_and_is_identity_in_eval() -> None:
    class Net(Module):
        def __init__(self) -> None:
            self.mlp = MLP([4, 4])
            self.drop = Dropout(0.5, seed=0)

        def forward(self, x: Tensor) -> Tensor:
            return self.drop(self.mlp(x))

    x = np.ones((16, 4))
    a, b = Net(), Net()
    np.testing.assert_array_equal(a(x).data, b(x).data)  # same seed, same masks
    first, second = a(x).data, a(x).data
    assert not np.array_equal(first, second)  # the generator moves on between calls
    a.eval()
    assert not a.drop.training
    h = a.mlp(Tensor(x))
    np.testing.assert_array_equal(a(x).data, h.data)
    assert a.drop(h) is h  # no node in eval mode


def test_float32_stays_float32() -> None:
    x = Tensor(np.ones(10, dtype=np.float32), requires_grad=True)
    out = dropout(x, 0.5, generator=0)
    out.sum().backward()
    assert out.dtype == np.float32
    assert x.grad is not None and x.grad.dtype == np.float32
