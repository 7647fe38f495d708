"""checkpoint gives bit-identical gradients and lowers peak saved memory."""

import numpy as np
import pytest

from app.engine import MLP, Tensor, checkpoint, count, grad, hvp, mse_loss

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((16, 8)), RNG.standard_normal((16, 8))


def run(model: MLP, every: int) -> list[np.ndarray]:
    """Backward through the model, checkpointing segments of `every` layers (0: none)."""
    model.zero_grad()
    h = Tensor(X, requires_grad=True)
    layers = model.layers
    for start in range(0, len(layers), every or len(layers)):
        segment = layers[start : start + (every or len(layers))]

        def block(x: Tensor, segment: list = segment) -> Tensor:
            for layer in segment:
                x = layer(x).tanh()
            return x

        h = checkpoint(block, h) if every else block(h)
    mse_loss(h, Y).backward()
    return [p.grad.copy() for p in model.parameters() if p.grad is not None]


def test_checkpoint_gradients_equal_plain_to_the_last_bit() -> None:
    model = MLP([8] * 7, activation="tanh", seed=3)
    plain = run(model, every=0)
    for every in (1, 2, 3):
        checkpointed = run(model, every)
        assert len(checkpointed) == len(plain) == 12
        for a, b in zip(plain, checkpointed, strict=True):
            np.testing.assert_array_equal(a, b)


def test_checkpoint_input_gradient_identical() -> None:
    def fn(x: Tensor) -> Tensor:
        return (x.exp() * x).tanh()

    x1, x2 = Tensor(X, requires_grad=True), Tensor(X, requires_grad=True)
    fn(x1).sum().backward()
    checkpoint(fn, x2).sum().backward()
    np.testing.assert_array_equal(x1.grad, x2.grad)


def test_checkpointing_cuts_peak_memory_and_costs_a_recompute() -> None:
    model = MLP([8] * 9, activation="tanh", seed=1)
    with count() as plain:
        run(model, every=0)
    with count() as ckpt:
        run(model, every=2)
    assert ckpt.saved_peak < plain.saved_peak
    assert plain.total_flops("recompute") == 0
    assert ckpt.total_flops("recompute") > 0
    assert plain.saved_live == ckpt.saved_live == 0  # everything released by backward


def test_hvp_through_checkpoint_matches_plain() -> None:
    def f(x: Tensor) -> Tensor:
        return ((x * x).tanh() * x).sum()

    x, v = RNG.standard_normal(5), RNG.standard_normal(5)
    expected = hvp(f, x, v)
    np.testing.assert_allclose(hvp(lambda x: checkpoint(f, x), x, v), expected, rtol=1e-12)
    np.testing.assert_allclose(grad(lambda x: checkpoint(f, x))(x), grad(f)(x), rtol=0)


def test_checkpoint_warns_when_no_input_requires_grad() -> None:
    layer = MLP([3, 2])
    with pytest.warns(UserWarning, match="none of the inputs has requires_grad=True"):
        out = checkpoint(layer, Tensor(np.ones((4, 3))))
    assert out.shape == (4, 2)
