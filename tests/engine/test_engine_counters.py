"""Counters measure FLOPs per op and phase, and bytes saved for backward."""

import numpy as np
import pytest

from app.engine import MLP, Linear, Tensor, count, mse_loss


@pytest.mark.parametrize("input_grad", [True, False])
def test_linear_layer_flops_are_exact(input_grad: bool) -> None:
    batch, n_in, n_out = 7, 5, 3
    layer = Linear(n_in, n_out)
    x = Tensor(np.ones((batch, n_in)), requires_grad=input_grad)
    with count() as counter:
        y = layer(x)
        forward = counter.total_flops("forward")
        y.backward(gradient=np.ones(y.shape))
    matmul = batch * n_in * n_out
    assert forward == matmul + batch * n_out  # multiply-adds, plus the bias adds
    backward_matmul = counter.total_flops("backward") - batch * n_out  # less the bias sum
    assert backward_matmul == (2 * matmul if input_grad else matmul)


def test_saved_bytes_grow_linearly_with_depth() -> None:
    peaks = []
    for depth in (2, 4, 8):
        model = MLP([16] * (depth + 1), seed=0)
        with count() as counter:
            loss = mse_loss(model(np.ones((4, 16))), np.zeros((4, 16)))
            peaks.append(counter.saved_live)
            loss.backward()
        assert counter.saved_live == 0 and counter.saved_peak == peaks[-1]
    assert peaks[2] - peaks[1] == 2 * (peaks[1] - peaks[0])


def test_shared_buffers_are_counted_once() -> None:
    x = Tensor(np.ones(100), requires_grad=True)
    with count() as counter:
        y = x * x  # saves x twice: one buffer
    assert counter.saved_total == 800 and y.saved_bytes == 1600


def test_backward_is_about_twice_forward_for_a_deep_net() -> None:
    model = MLP([64] * 5, seed=0)
    x = Tensor(np.ones((32, 64)), requires_grad=True)
    with count() as counter:
        mse_loss(model(x), np.zeros((32, 64))).backward()
    ratio = counter.total_flops("backward") / counter.total_flops("forward")
    assert 1.9 < ratio < 2.1
    assert counter.summary()["forward_flops"] == counter.total_flops("forward")
