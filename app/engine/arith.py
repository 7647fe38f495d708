"""Arithmetic: + - * / neg ** and @. Each op's forward sits beside its gradient rules.

A `*_vjp` rule maps the output's gradient g to the inputs' gradients (None where `need` says
an input wants none, so a first layer never pays for dx). A `*_jvp` rule maps the inputs'
tangents to the output's tangent. Rules use only operators that ndarrays and Tensors share.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.shape import unbroadcast
from app.engine.tensor import Tensor, Value, lift, make


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, lift(b, a)
    b = lift(b)
    return lift(a, b), b


def _shape_error(op: str, a: Tensor, b: Tensor) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together")


def add(a: Any, b: Any) -> Tensor:
    """a + b, broadcasting."""
    a, b = _pair(a, b)
    try:
        out = a.data + b.data
    except ValueError:
        raise _shape_error("add", a, b) from None
    return make("add", out, (a, b), add_vjp, add_jvp, flops=out.size)


def add_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of add: the output's gradient g to each input's gradient."""
    return (
        unbroadcast(g, xs[0].shape) if need[0] else None,
        unbroadcast(g, xs[1].shape) if need[1] else None,
    )


def add_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of add: the inputs' tangents to the output's tangent."""
    return ts[0] + ts[1]


def sub(a: Any, b: Any) -> Tensor:
    """a - b, broadcasting."""
    a, b = _pair(a, b)
    try:
        out = a.data - b.data
    except ValueError:
        raise _shape_error("sub", a, b) from None
    return make("sub", out, (a, b), sub_vjp, sub_jvp, flops=out.size)


def sub_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of sub: the output's gradient g to each input's gradient."""
    return (
        unbroadcast(g, xs[0].shape) if need[0] else None,
        unbroadcast(-g, xs[1].shape) if need[1] else None,
    )


def sub_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of sub: the inputs' tangents to the output's tangent."""
    return ts[0] - ts[1]


def mul(a: Any, b: Any) -> Tensor:
    """a * b elementwise, broadcasting."""
    a, b = _pair(a, b)
    try:
        out = a.data * b.data
    except ValueError:
        raise _shape_error("mul", a, b) from None
    return make("mul", out, (a, b), mul_vjp, mul_jvp, flops=out.size, saved=(a.data, b.data))


def mul_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of mul: the output's gradient g to each input's gradient."""
    a, b = xs
    return (
        unbroadcast(g * b, a.shape) if need[0] else None,
        unbroadcast(g * a, b.shape) if need[1] else None,
    )


def mul_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of mul: the inputs' tangents to the output's tangent."""
    return ts[0] * xs[1] + xs[0] * ts[1]


def div(a: Any, b: Any) -> Tensor:
    """a / b elementwise, broadcasting."""
    a, b = _pair(a, b)
    try:
        out = a.data / b.data
    except ValueError:
        raise _shape_error("div", a, b) from None
    return make("div", out, (a, b), div_vjp, div_jvp, flops=out.size, saved=(a.data, b.data))


def div_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of div: the output's gradient g to each input's gradient."""
    a, b = xs
    return (
        unbroadcast(g / b, a.shape) if need[0] else None,
        unbroadcast(-g * a / (b * b), b.shape) if need[1] else None,
    )


def div_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of div: the inputs' tangents to the output's tangent."""
    return (ts[0] - out * ts[1]) / xs[1]


def neg(a: Tensor) -> Tensor:
    """-a."""
    return make("neg", -a.data, (a,), neg_vjp, neg_jvp, flops=a.size)


def neg_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of neg: the output's gradient g to each input's gradient."""
    return (-g,)


def neg_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of neg: the inputs' tangents to the output's tangent."""
    return -ts[0]


def pow(a: Any, b: Any) -> Tensor:
    """a ** b elementwise; differentiable in b too (where a > 0)."""
    a, b = _pair(a, b)
    try:
        out = a.data**b.data
    except ValueError:
        raise _shape_error("pow", a, b) from None
    # The exponent's gradient reads the output too, so the output is saved with the inputs.
    saved = (a.data, b.data, out) if b.requires_grad else (a.data, b.data)
    return make("pow", out, (a, b), pow_vjp, pow_jvp, flops=out.size, saved=saved)


def pow_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of pow: the output's gradient g to each input's gradient."""
    a, b = xs
    return (
        unbroadcast(g * b * a ** (b - 1), a.shape) if need[0] else None,
        unbroadcast(g * out * _log(a), b.shape) if need[1] else None,
    )


def pow_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of pow: the inputs' tangents to the output's tangent."""
    a, b = xs
    tangent = ts[0] * b * a ** (b - 1)
    if ts[1].any():
        tangent = tangent + ts[1] * out * np.log(a)
    return tangent


def _log(x: Value) -> Value:
    return x.log() if isinstance(x, Tensor) else np.log(x)


def matmul(a: Any, b: Any) -> Tensor:
    """a @ b for 1-D, 2-D and batched operands, with NumPy's rules."""
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-D, got {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not align "
            f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})"
        )
    out = a.data @ b.data
    flops = out.size * a.shape[-1]  # one multiply-add per output element per summed index
    return make("matmul", out, (a, b), matmul_vjp, matmul_jvp, flops=flops, saved=(a.data, b.data))


def matmul_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of matmul: the output's gradient g to each input's gradient."""
    a, b = xs
    if a.ndim == 2 and b.ndim == 2:
        # The common case (a layer), kept free of reshapes: dA = g B^T, dB = A^T g.
        return (g @ b.T if need[0] else None, a.T @ g if need[1] else None)
    # 1-D operands are promoted to matrices, as numpy does, then the matrix rule applies.
    a2 = a.reshape((1, -1)) if a.ndim == 1 else a
    b2 = b.reshape((-1, 1)) if b.ndim == 1 else b
    g2 = g.reshape((*g.shape[:-1], 1, *g.shape[-1:])) if a.ndim == 1 else g
    g2 = g2.reshape((*g2.shape, 1)) if b.ndim == 1 else g2
    ga = gb = None
    if need[0]:
        ga = unbroadcast(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
    if need[1]:
        gb = unbroadcast(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(b.shape)
    return ga, gb


def matmul_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of matmul: the inputs' tangents to the output's tangent."""
    return ts[0] @ xs[1] + xs[0] @ ts[1]


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias as one node, as a layer computes it (torch.nn.functional.linear).

    weight is (out_features, in_features), PyTorch's layout and the deck's: W x for one example.
    The transpose is a view, so BLAS reads it in place at no extra cost.
    """
    x = lift(x, weight)
    if weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input shape {x.shape} does not fit weight shape {weight.shape} "
            "(weight is out_features x in_features)"
        )
    # A batch of any shape is rows of one matrix: flattened, it is one BLAS call (NumPy loops
    # over the leading axes of a 3-D @ 2-D product, about twice as slow for (8, 32, 64)).
    lead = x.shape[:-1]
    x2 = x.data if x.ndim == 2 else x.data.reshape(-1, x.shape[-1])
    out = x2 @ weight.data.T
    if x.ndim != 2:
        out = out.reshape((*lead, weight.shape[0]))
    flops = out.size * weight.shape[1]
    if bias is None:
        return make(
            "linear",
            out,
            (x, weight),
            linear_vjp,
            linear_jvp,
            flops=flops,
            saved=(x.data, weight.data),
        )
    out += bias.data  # in place: the product is a fresh array, so no second allocation
    parents = (x, weight, bias)
    flops += out.size
    return make(
        "linear", out, parents, linear_vjp, linear_jvp, flops=flops, saved=(x.data, weight.data)
    )


def linear_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of linear: the output's gradient g to each input's gradient."""
    x, weight = xs[0], xs[1]
    # Rows of a batch of any shape are all the same layer: flatten them into one matrix.
    x2 = x if x.ndim == 2 else x.reshape((-1, weight.shape[1]))
    g2 = g if g.ndim == 2 else g.reshape((-1, weight.shape[0]))
    grads = [
        _dx(g, g2, weight, x.shape) if need[0] else None,  # dX = G W: not for a first layer
        (g2.T @ x2) if need[1] else None,  # dW = Gᵀ X, shaped like W
    ]
    if len(xs) == 3:
        grads.append(g2.sum(axis=0) if need[2] else None)
    return tuple(grads)


def _dx(g: Value, g2: Value, weight: Value, shape: tuple[int, ...]) -> Value:
    # One flattened product for a batch of any shape, as in the forward.
    return g @ weight if g.ndim == 2 else (g2 @ weight).reshape(shape)


def linear_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of linear: the inputs' tangents to the output's tangent."""
    tangent = ts[0] @ xs[1].T + xs[0] @ ts[1].T
    return tangent + ts[2] if len(ts) == 3 else tangent
