"""batch_norm, layer_norm, group_norm, rms_norm and their modules: gradients in reverse, forward
and second order, and values computed by hand."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.engine import Module, Tensor, check_jvp_vjp, grad, gradcheck, hessian, hvp
from app.engine.norm import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    LayerNorm,
    RMSNorm,
    batch_norm,
    group_norm,
    layer_norm,
    rms_norm,
)

FAST = settings(max_examples=25, deadline=None)
SEEDS = st.integers(0, 2**32 - 1)
SQRT5 = 2.23606797749979  # sqrt(5), for the hand-computed values below


def spread(rng: np.random.Generator, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """Random values whose every group (over axes) has standard deviation in [0.5, 2].

    A group of nearly equal values has inv_std near 1/sqrt(eps); central differences there
    measure rounding, not the rule, so the random inputs keep away from it.
    """
    x = rng.standard_normal(shape)
    x = (x - x.mean(axis=axes, keepdims=True)) / x.std(axis=axes, keepdims=True)
    keep = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return x * rng.uniform(0.5, 2.0, keep) + rng.standard_normal(keep)


def check_gradients(f: Callable[..., Tensor], inputs: list[np.ndarray]) -> None:
    """gradcheck (reverse against central differences) and check_jvp_vjp (forward against
    reverse) on the same inputs."""
    report = gradcheck(f, inputs)
    assert report.passed, str(report)
    mode = check_jvp_vjp(f, inputs)
    assert mode.passed, mode


def check_hvp(loss: Callable[[Tensor], Tensor], x: np.ndarray, seed: int = 0) -> None:
    """hvp (forward over reverse, so the rules run on Tensors) against central differences of
    the gradient, along a random direction."""
    v = np.random.default_rng(seed).standard_normal(x.shape)
    step = 1e-5
    g = grad(loss)
    numeric = (g(x + step * v) - g(x - step * v)) / (2 * step)
    exact = hvp(loss, x, v)
    assert np.abs(exact).max() > 1e-2  # a Hessian that is all zeros would prove nothing
    np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-6)


def nonlinear_loss(f: Callable[[Tensor], Tensor], shape: tuple[int, ...]) -> Callable:
    """x -> Σ c·f(x) + Σ d·f(x)²: a scalar whose Hessian has both f's curvature and f's Jacobian."""
    rng = np.random.default_rng(42)
    c, d = rng.standard_normal(shape), rng.standard_normal(shape)
    return lambda x: (f(x) * c).sum() + (f(x) * f(x) * d).sum()


BN_AXES = {2: (0,), 3: (0, 2), 4: (0, 2, 3)}


# --- batch norm ---------------------------------------------------------------------------------


@FAST
@given(
    dims=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    affine=st.booleans(),
    seed=SEEDS,
)
def test_batch_norm_training_gradients_random_shapes(
    dims: list[int], affine: bool, seed: int
) -> None:
    shape = tuple(dims)
    assume(np.prod(shape) // shape[1] >= 2)  # training needs two values per channel
    rng = np.random.default_rng(seed)
    x = spread(rng, shape, BN_AXES[len(shape)])
    if affine:
        w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
        check_gradients(lambda x, w, b: batch_norm(x, None, None, w, b, training=True), [x, w, b])
    else:
        check_gradients(lambda x: batch_norm(x, None, None, training=True), [x])


@pytest.mark.parametrize("shape", [(2, 3), (1, 3, 2), (2, 2, 1, 1), (1, 2, 1, 2)])
def test_batch_norm_gradients_with_two_values_per_channel(shape: tuple[int, ...]) -> None:
    # N·H·W = 2: x̂ is exactly ±1, the smallest batch training accepts.
    rng = np.random.default_rng(3)
    x = spread(rng, shape, BN_AXES[len(shape)])
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    check_gradients(lambda x, w, b: batch_norm(x, None, None, w, b, training=True), [x, w, b])
    out = batch_norm(x, None, None, training=True, eps=0.0).data
    np.testing.assert_allclose(np.abs(out), 1.0, rtol=1e-12)


def test_batch_norm_eval_gradients() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2, 4))
    mean, var = rng.standard_normal(2), rng.uniform(0.5, 2.0, 2)
    w, b = rng.standard_normal(2), rng.standard_normal(2)
    check_gradients(lambda x, w, b: batch_norm(x, mean, var, w, b, training=False), [x, w, b])


def test_batch_norm_input_gradient_has_the_mean_subtraction_terms() -> None:
    rng = np.random.default_rng(5)
    shape = (4, 3, 2, 2)
    x = Tensor(spread(rng, shape, (0, 2, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    b = Tensor(rng.standard_normal(3), requires_grad=True)
    g = rng.standard_normal(shape)
    # eps=0: then scaling a channel about its mean leaves x̂ exactly unchanged (with eps > 0,
    # only nearly), and so does shifting it; dx sums to zero over each channel and is
    # orthogonal to x̂ there.
    batch_norm(x, None, None, w, b, training=True, eps=0.0).backward(g)
    assert x.grad is not None and w.grad is not None and b.grad is not None
    axes = (0, 2, 3)
    xhat = (x.data - x.data.mean(axis=axes, keepdims=True)) / x.data.std(axis=axes, keepdims=True)
    np.testing.assert_allclose(x.grad.sum(axis=axes), 0.0, atol=1e-12)
    np.testing.assert_allclose((x.grad * xhat).sum(axis=axes), 0.0, atol=1e-12)
    # A rule without those terms (dx = g·γ·inv_std) fails both checks on the same data.
    naive = g * w.data.reshape(1, 3, 1, 1) / x.data.std(axis=axes, keepdims=True)
    assert np.abs(naive.sum(axis=axes)).min() > 1e-3
    assert np.abs((naive * xhat).sum(axis=axes)).min() > 1e-3
    np.testing.assert_allclose(w.grad, (g * xhat).sum(axis=axes), rtol=1e-12)
    np.testing.assert_allclose(b.grad, g.sum(axis=axes), rtol=1e-12)


# Two batches of one channel, by hand: [1, 2, 3, 4] has mean 2.5, unbiased variance 5/3;
# [2, 4, 6, 8] has mean 5, unbiased variance 20/3. From (0, 1) with momentum 0.1:
#   mean: 0.9·0 + 0.1·2.5 = 0.25, then 0.9·0.25 + 0.1·5 = 0.725
#   var:  0.9·1 + 0.1·5/3 = 1.0666…, then 0.9·1.0666… + 0.1·20/3 = 0.96 + 0.6666… = 1.6266…
BATCH_1 = np.array([[1.0], [2.0], [3.0], [4.0]])
BATCH_2 = np.array([[2.0], [4.0], [6.0], [8.0]])


def test_running_statistics_after_two_steps_match_hand_computation() -> None:
    running_mean, running_var = np.zeros(1), np.ones(1)
    out = batch_norm(BATCH_1, running_mean, running_var, training=True, eps=0.0)
    # Normalised with the biased variance 1.25: (x − 2.5)/sqrt(1.25) = ±3/sqrt(5), ±1/sqrt(5).
    np.testing.assert_allclose(out.data[:, 0], [-3 / SQRT5, -1 / SQRT5, 1 / SQRT5, 3 / SQRT5])
    np.testing.assert_allclose(running_mean, [0.25], rtol=1e-12)
    np.testing.assert_allclose(running_var, [1.0666666666666667], rtol=1e-12)
    batch_norm(BATCH_2, running_mean, running_var, training=True)
    np.testing.assert_allclose(running_mean, [0.725], rtol=1e-12)
    np.testing.assert_allclose(running_var, [1.6266666666666667], rtol=1e-12)


def test_eval_mode_uses_the_running_statistics() -> None:
    running_mean, running_var = np.array([0.725]), np.array([1.6266666666666667])
    std = 1.275412351620709  # sqrt(1.6266… + 1e-5)
    x = np.array([[0.725], [0.725 + std], [0.725 - 2 * std]])
    out = batch_norm(x, running_mean, running_var, np.array([2.0]), np.array([1.0]))
    np.testing.assert_allclose(out.data[:, 0], [1.0, 3.0, -3.0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(running_mean, [0.725])  # eval leaves them alone


def test_batchnorm1d_module_trains_then_evaluates() -> None:
    bn = BatchNorm1d(1)
    assert [p.name for p in bn.parameters()] == ["weight", "bias"]
    bn(BATCH_1)
    bn(BATCH_2)
    assert bn.num_batches_tracked is not None and int(bn.num_batches_tracked) == 2
    np.testing.assert_allclose(bn.running_mean, [0.725], rtol=1e-12)  # type: ignore[arg-type]
    np.testing.assert_allclose(bn.running_var, [1.6266666666666667], rtol=1e-12)  # type: ignore[arg-type]
    bn.eval()
    out = bn(np.array([[0.725], [0.725 + 1.275412351620709]]))
    np.testing.assert_allclose(out.data[:, 0], [0.0, 1.0], atol=1e-12)
    assert int(bn.num_batches_tracked) == 2
    np.testing.assert_allclose(bn.running_mean, [0.725], rtol=1e-12)  # type: ignore[arg-type]


def test_momentum_none_keeps_the_cumulative_average() -> None:
    bn = BatchNorm1d(1, momentum=None)
    bn(BATCH_1)
    bn(BATCH_2)
    # The plain average of the two batches' statistics: (2.5 + 5)/2 and (5/3 + 20/3)/2.
    np.testing.assert_allclose(bn.running_mean, [3.75], rtol=1e-12)  # type: ignore[arg-type]
    np.testing.assert_allclose(bn.running_var, [25 / 6], rtol=1e-12)  # type: ignore[arg-type]


def test_train_and_eval_switch_a_child_batchnorm() -> None:
    class Net(Module):
        def __init__(self) -> None:
            self.bn = BatchNorm2d(2)

        def forward(self, x: Tensor) -> Tensor:
            return self.bn(x)

    net = Net()
    x = spread(np.random.default_rng(6), (3, 2, 2, 2), (0, 2, 3)) * 3 + 5
    out = net(x).data
    # Training: each channel comes out with mean 0 and (biased) variance var/(var + eps) ≈ 1.
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1.0, rtol=1e-4)
    net.eval()
    assert not net.bn.training
    # Eval: one step from (0, 1) with momentum 0.1 is far from the batch statistics.
    assert np.abs(net(x).data.mean(axis=(0, 2, 3))).min() > 0.5


def test_untracked_batchnorm_uses_batch_statistics_in_eval() -> None:
    bn = BatchNorm1d(2, track_running_stats=False, affine=False)
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert bn.parameters() == []
    bn.eval()
    out = bn(np.random.default_rng(7).standard_normal((5, 2, 3)) + 4).data
    np.testing.assert_allclose(out.mean(axis=(0, 2)), 0.0, atol=1e-12)


def test_batch_norm_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(np.ones((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match="weight must have shape"):
        batch_norm(np.ones((2, 3)), None, None, np.ones(2), training=True)
    with pytest.raises(ValueError, match="running_var"):
        batch_norm(np.ones((2, 3)), np.zeros(3), np.ones(2), training=True)
    with pytest.raises(ValueError, match="needed when training=False"):
        batch_norm(np.ones((2, 3)), None, None)
    with pytest.raises(ValueError, match="expected 4D input"):
        BatchNorm2d(3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        BatchNorm1d(3)(np.ones((2, 3, 1, 1)))


# --- layer norm, group norm, RMS norm -----------------------------------------------------------


def test_layer_norm_values_over_the_last_one_and_two_dims() -> None:
    out = layer_norm(np.array([[1.0, 2.0, 3.0, 4.0]]), 4, eps=0.0).data
    np.testing.assert_allclose(out, [[-3 / SQRT5, -1 / SQRT5, 1 / SQRT5, 3 / SQRT5]], rtol=1e-12)
    # Over (2, 2): the first example is [1, 2, 3, 4] again; the second, [0, 0, 2, −2], has mean
    # 0 and variance 2. γ and β are per element of the normalised shape.
    x = np.array([[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [2.0, -2.0]]])
    w, b = np.array([[1.0, 2.0], [1.0, 1.0]]), np.array([[0.0, 0.0], [0.0, 10.0]])
    out = layer_norm(x, (2, 2), w, b, eps=0.0).data
    expected = [
        [[-3 / SQRT5, -2 / SQRT5], [1 / SQRT5, 10 + 3 / SQRT5]],
        [[0.0, 0.0], [1.4142135623730951, 10 - 1.4142135623730951]],
    ]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)


@FAST
@given(
    batch=st.lists(st.integers(1, 3), min_size=1, max_size=2),
    normalized=st.lists(st.integers(1, 3), min_size=1, max_size=2),
    seed=SEEDS,
)
def test_layer_norm_gradients_random_shapes(
    batch: list[int], normalized: list[int], seed: int
) -> None:
    shape = (*batch, *normalized)
    assume(np.prod(normalized) >= 2)
    rng = np.random.default_rng(seed)
    axes = tuple(range(len(batch), len(shape)))
    x = spread(rng, shape, axes)
    w, b = rng.standard_normal(normalized), rng.standard_normal(normalized)
    check_gradients(lambda x, w, b: layer_norm(x, tuple(normalized), w, b), [x, w, b])


@pytest.mark.parametrize("shape", [(1, 4), (1, 2, 3)])
def test_layer_norm_gradients_batch_of_one(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(8)
    x = spread(rng, shape, tuple(range(1, len(shape))))
    check_gradients(lambda x: layer_norm(x, shape[1:]), [x])
    w = rng.standard_normal(shape[-1:])
    check_gradients(lambda x, w: layer_norm(x, shape[-1], w), [x, w])


def test_group_norm_values_with_one_group_and_one_per_channel() -> None:
    x = np.array([[[1.0, 3.0], [5.0, 7.0]]])  # N=1, C=2, L=2
    # One group: all four values, mean 4 and variance 5 (layer norm over (C, L)).
    np.testing.assert_allclose(
        group_norm(x, 1, eps=0.0).data,
        [[[-3 / SQRT5, -1 / SQRT5], [1 / SQRT5, 3 / SQRT5]]],
        rtol=1e-12,
    )
    # One group per channel (instance norm): [1, 3] and [5, 7] each become [−1, 1], then γ, β.
    out = group_norm(x, 2, np.array([1.0, 3.0]), np.array([0.0, -1.0]), eps=0.0).data
    np.testing.assert_allclose(out, [[[-1.0, 1.0], [-4.0, 2.0]]], rtol=1e-12)


@pytest.mark.parametrize(
    ("shape", "groups"),
    [((2, 4, 3), 1), ((2, 4, 3), 4), ((1, 4, 2, 2), 2), ((3, 3), 1), ((1, 2, 1, 3), 2)],
)
def test_group_norm_gradients(shape: tuple[int, ...], groups: int) -> None:
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    check_gradients(lambda x, w, b: group_norm(x, groups, w, b), [x, w, b])


def test_rms_norm_values_and_default_eps() -> None:
    # [3, 4]: mean square 12.5, root 3.5355…; no mean is subtracted.
    out = rms_norm(np.array([3.0, 4.0]), 2, np.array([1.0, 2.0]), eps=0.0).data
    np.testing.assert_allclose(out, [0.848528137423857, 2 * 1.131370849898476], rtol=1e-12)
    # eps=None is the machine epsilon of the input's dtype (torch.finfo(x.dtype).eps): for
    # float32 2**-23, which dominates a tiny mean square of 1e-8.
    tiny = rms_norm(np.array([1e-4], dtype=np.float32), 1)
    assert tiny.dtype == np.float32
    np.testing.assert_allclose(tiny.data, [1e-4 / np.sqrt(1e-8 + 2.0**-23)], rtol=1e-5)
    # Over the last two dims, one mean square per example.
    x = np.array([[[3.0, 0.0], [0.0, 4.0]]])
    np.testing.assert_allclose(rms_norm(x, (2, 2), eps=0.0).data, x / 2.5, rtol=1e-12)


@pytest.mark.parametrize("shape", [(4,), (1, 3), (2, 3, 4)])
def test_rms_norm_gradients(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(10)
    x = rng.standard_normal(shape)
    w = rng.standard_normal(shape[-1])
    check_gradients(lambda x, w: rms_norm(x, shape[-1], w), [x, w])
    check_gradients(lambda x: rms_norm(x, shape[-2:]), [x])


def test_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match="normalized_shape"):
        layer_norm(np.ones((2, 3)), (2,))
    with pytest.raises(ValueError, match="bias must have shape"):
        layer_norm(np.ones((2, 3)), 3, np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="num_groups=3"):
        group_norm(np.ones((2, 4)), 3)
    with pytest.raises(ValueError, match="divisible"):
        GroupNorm(3, 4)


# --- second order: the rules are right when they run on Tensors ---------------------------------


def test_batch_norm_training_hvp_and_hessian() -> None:
    rng = np.random.default_rng(11)
    w, b = Tensor(rng.standard_normal(2)), Tensor(rng.standard_normal(2))
    shape = (3, 2, 2)
    x = spread(rng, shape, (0, 2))
    loss = nonlinear_loss(lambda x: batch_norm(x, None, None, w, b, training=True), shape)
    check_hvp(loss, x)
    # The full Hessian, column by column from hvp, is symmetric and matches differences of the
    # gradient along each coordinate.
    h = hessian(loss, x).reshape(x.size, x.size)
    np.testing.assert_allclose(h, h.T, rtol=1e-9, atol=1e-9)
    g, step = grad(loss), 1e-5
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = step
        column = (g(x + e.reshape(shape)) - g(x - e.reshape(shape))) / (2 * step)
        np.testing.assert_allclose(h[:, j], column.reshape(-1), rtol=1e-5, atol=1e-6)


def test_batch_norm_two_values_per_channel_hvp() -> None:
    rng = np.random.default_rng(12)
    x = spread(rng, (2, 3), (0,))
    w = Tensor(rng.standard_normal(3))
    # With two values x̂ = ±d/sqrt(d² + eps) for d half their gap: ±1 whatever x is when eps is
    # tiny (a zero Hessian, which proves nothing), so a large eps gives it curvature to check.
    f = lambda x: batch_norm(x, None, None, w, training=True, eps=0.5)  # noqa: E731
    check_hvp(nonlinear_loss(f, x.shape), x)


@pytest.mark.parametrize(
    ("name", "f"),
    [
        ("layer_norm_last", lambda x: layer_norm(x, 4, np.linspace(0.5, 2, 4), np.ones(4))),
        ("layer_norm_last_two", lambda x: layer_norm(x, (3, 4))),
        ("rms_norm", lambda x: rms_norm(x, 4, np.linspace(0.5, 2, 4))),
        ("rms_norm_last_two", lambda x: rms_norm(x, (3, 4), eps=1e-6)),
        ("group_norm", lambda x: group_norm(x.reshape(2, 6, 2), 3).reshape(2, 3, 4)),
    ],
)
def test_hvp_of_the_other_norms(name: str, f: Callable[[Any], Tensor]) -> None:
    x = spread(np.random.default_rng(13), (2, 3, 4), (1, 2))
    check_hvp(nonlinear_loss(f, x.shape), x)


# --- modules ------------------------------------------------------------------------------------


def test_norm_modules_match_their_functions_and_keep_float32() -> None:
    x = np.random.default_rng(14).standard_normal((2, 4, 3)).astype(np.float32)
    ln = LayerNorm(3, dtype=np.float32)
    gn = GroupNorm(2, 4, dtype=np.float32)
    rms = RMSNorm([4, 3], dtype=np.float32)
    assert [p.shape for p in ln.parameters()] == [(3,), (3,)]
    assert [p.shape for p in gn.parameters()] == [(4,), (4,)]
    assert [p.shape for p in rms.parameters()] == [(4, 3)]
    assert LayerNorm(3, elementwise_affine=False).parameters() == []
    assert [p.name for p in LayerNorm(3, bias=False).parameters()] == ["weight"]
    for module, expected in [
        (ln, layer_norm(x, 3)),
        (gn, group_norm(x, 2)),
        (rms, rms_norm(x, (4, 3))),
    ]:
        out = module(x)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.data, expected.data, rtol=1e-6)
        out.sum().backward()
        assert all(p.grad is not None and p.grad.dtype == np.float32 for p in module.parameters())
    bn = BatchNorm1d(4, dtype=np.float32)
    out = bn(x)
    assert out.dtype == np.float32 and bn.running_var is not None
    assert bn.running_var.dtype == np.float32
