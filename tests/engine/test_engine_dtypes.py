"""Low precision: float16 flows through every op, bfloat16 is rounded as PyTorch rounds it, and
loss scaling rescues gradients that float16 flushes to zero."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.engine import Tensor, shape
from app.engine import pointwise as pw
from app.engine import reduce as rd
from app.engine.activations import gelu, silu, softplus
from app.engine.attention import scaled_dot_product_attention
from app.engine.dropout import dropout
from app.engine.dtypes import bfloat16, round_to_bfloat16, scaled_backward, to_dtype
from app.engine.losses import cross_entropy, mse_loss
from app.engine.norm import layer_norm

OPS: dict[str, Callable[[Tensor], Tensor]] = {
    "matmul": lambda x: x @ x.T,
    "add/mul/div/pow": lambda x: (x + 1) * x / 2 + x**2,
    "exp/log/tanh/sigmoid/relu": lambda x: pw.relu(pw.tanh(x) + pw.sigmoid(x)) + pw.exp(x).log(),
    "sqrt/abs/clamp": lambda x: pw.sqrt(pw.abs(x) + 1) + pw.clamp(x, -0.5, 0.5),
    "softmax/logsumexp/var": lambda x: rd.softmax(x) + rd.logsumexp(x, 1, keepdim=True) + x.var(),
    "cat/stack/pad/where": lambda x: shape.where(
        x.data > 0, shape.pad(x, (0, 1))[:, :3], shape.stack([x, x])[0]
    ),
    "gelu/silu/softplus": lambda x: gelu(x) + silu(x) + softplus(x),
    "layer_norm": lambda x: layer_norm(x, (3,)),
    "dropout": lambda x: dropout(x, 0.5, generator=0),
    "attention": lambda x: scaled_dot_product_attention(x[None], x[None], x[None], is_causal=True),
    "losses": lambda x: mse_loss(x, np.zeros((4, 3))) + cross_entropy(x, np.array([0, 1, 2, 0])),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_float16_stays_float16_forward_and_backward(name: str) -> None:
    x = Tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True, dtype=np.float16)
    out = OPS[name](x)
    assert out.dtype == np.float16, f"{name} computed in {out.dtype}"
    out.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float16


def test_bfloat16_rounds_to_nearest_with_ties_to_even() -> None:
    ulp = 2.0**-7  # bfloat16 keeps 7 mantissa bits: the spacing just above 1
    values = np.array([1 + ulp / 2, 1 + 3 * ulp / 2, 1 + 0.6 * ulp, 1 + 0.4 * ulp, -2.5, 1e-40])
    rounded = round_to_bfloat16(values)
    # 1 + ulp/2 is a tie between 1 (even) and 1 + ulp (odd): to 1. 1 + 1.5 ulp ties to 1 + 2 ulp.
    expected = np.array([1.0, 1 + 2 * ulp, 1 + ulp, 1.0, -2.5, 0.0], dtype=np.float32)
    np.testing.assert_array_equal(rounded[:5], expected[:5])
    assert rounded.dtype == np.float32
    assert (rounded.view(np.uint32) & 0xFFFF == 0).all()
    assert np.isnan(round_to_bfloat16(np.array([np.nan]))).all()
    assert np.isinf(round_to_bfloat16(np.array([np.inf]))).all()


def test_inside_bfloat16_every_output_and_gradient_is_rounded() -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    with bfloat16():
        y = x + 1e-3  # 1.001 is not a bfloat16: it rounds back to 1
        (y * 1.001).sum().backward()
    np.testing.assert_array_equal(y.data, [1.0, 2.0, 3.0])
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])  # 1.001 rounds to 1 in the gradient
    plain = Tensor(np.array([1.0], dtype=np.float32)) + 1e-3
    assert plain.item() != 1.0  # outside the block nothing is rounded


def test_to_dtype_sends_the_gradient_back_in_the_input_dtype() -> None:
    master = Tensor(np.array([0.1, 0.2], dtype=np.float32), requires_grad=True)
    half = to_dtype(master, np.float16)
    assert half.dtype == np.float16
    (half * half).sum().backward()
    assert master.grad is not None and master.grad.dtype == np.float32
    np.testing.assert_allclose(master.grad, 2 * half.data.astype(np.float32), rtol=1e-3)
    with pytest.raises(ValueError, match="dtype"):
        to_dtype(master, np.int32)


def _tiny_gradient_model(scale: Any) -> np.ndarray:
    w = Tensor(np.array([1.0, -1.0], dtype=np.float32), requires_grad=True)
    loss = (to_dtype(w, np.float16) * 1e-4).sum() * 1e-4  # d loss / d w = 1e-8 per entry
    if scale is None:
        loss.backward()
    else:
        scaled_backward(loss, scale)
    assert w.grad is not None
    return w.grad


def test_float16_flushes_a_tiny_gradient_to_zero_and_loss_scaling_keeps_it() -> None:
    np.testing.assert_array_equal(_tiny_gradient_model(None), [0.0, 0.0])
    np.testing.assert_allclose(_tiny_gradient_model(2.0**14), [1e-8, 1e-8], rtol=1e-2)
    with pytest.raises(ValueError, match="scale"):
        _tiny_gradient_model(0.0)
