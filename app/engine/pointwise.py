"""Elementwise functions: exp, log, sqrt, abs, tanh, sigmoid, relu, clamp, maximum, minimum.

Where the derivative can be written with the output (exp, sqrt, tanh, sigmoid) the rule uses the
output, so backward keeps one array and recomputes nothing. Where it is piecewise constant
(abs, relu, clamp, maximum, minimum) the rule keeps only that constant, as a mask: its own
derivative is zero almost everywhere, so Hessians through it stay right.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.shape import unbroadcast
from app.engine.tensor import Tensor, Value, lift, make

# The derivative of relu at exactly 0 does not exist; frameworks pick a value. PyTorch and
# JAX pick 0, which is the default here; relu(x, grad_at_zero=1.0) or 0.5 picks another.
RELU_GRAD_AT_ZERO = 0.0


def exp(x: Tensor) -> Tensor:
    """e**x elementwise."""
    out = np.exp(x.data)
    return make("exp", out, (x,), exp_vjp, exp_jvp, flops=out.size, saved=(out,))


def exp_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of exp: the output's gradient g to each input's gradient."""
    return (g * out,)


def exp_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of exp: the inputs' tangents to the output's tangent."""
    return ts[0] * out


def log(x: Tensor) -> Tensor:
    """Natural log elementwise."""
    return make("log", np.log(x.data), (x,), log_vjp, log_jvp, flops=x.size, saved=(x.data,))


def log_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of log: the output's gradient g to each input's gradient."""
    return (g / xs[0],)


def log_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of log: the inputs' tangents to the output's tangent."""
    return ts[0] / xs[0]


def tanh(x: Tensor) -> Tensor:
    """tanh elementwise."""
    out = np.tanh(x.data)
    return make("tanh", out, (x,), tanh_vjp, tanh_jvp, flops=out.size, saved=(out,))


def tanh_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of tanh: the output's gradient g to each input's gradient."""
    return (g * (1 - out * out),)


def tanh_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of tanh: the inputs' tangents to the output's tangent."""
    return ts[0] * (1 - out * out)


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; the two branches are the same function for x >= 0 and x < 0.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e**-x) elementwise, without overflow for large |x|."""
    out = _stable_sigmoid(x.data)
    return make("sigmoid", out, (x,), sigmoid_vjp, sigmoid_jvp, flops=out.size, saved=(out,))


def sigmoid_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of sigmoid: the output's gradient g to each input's gradient."""
    return (g * out * (1 - out),)


def sigmoid_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of sigmoid: the inputs' tangents to the output's tangent."""
    return ts[0] * out * (1 - out)


def relu(x: Tensor, grad_at_zero: float | None = None) -> Tensor:
    """max(x, 0) elementwise; its gradient at exactly 0 is `grad_at_zero` (RELU_GRAD_AT_ZERO)."""
    at_zero = RELU_GRAD_AT_ZERO if grad_at_zero is None else grad_at_zero
    # The derivative is piecewise constant, so the rule keeps only this mask (1 byte/element).
    mask = x.data > 0
    if at_zero != 0:
        mask = np.where(x.data == 0, at_zero, mask).astype(x.data.dtype)
    out = np.maximum(x.data, 0)
    return make("relu", out, (x,), relu_vjp, relu_jvp, mask, flops=out.size, saved=(mask,))


def relu_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of relu: the output's gradient g to each input's gradient."""
    return (g * ctx,)


def relu_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of relu: the inputs' tangents to the output's tangent."""
    return ts[0] * ctx


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max of a and b, broadcasting; where they tie each gets half the gradient."""
    if not isinstance(a, Tensor):
        a = lift(a, b if isinstance(b, Tensor) else None)
    b = lift(b, a)
    out = np.maximum(a.data, b.data)
    # Ties split the gradient equally, as torch.maximum does.
    share = (a.data > b.data) + 0.5 * (a.data == b.data)
    share = share.astype(out.dtype, copy=False)
    return make("maximum", out, (a, b), maximum_vjp, maximum_jvp, share, out.size, (share,))


def maximum_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of maximum: the output's gradient g to each input's gradient."""
    return (
        unbroadcast(g * ctx, xs[0].shape) if need[0] else None,
        unbroadcast(g * (1 - ctx), xs[1].shape) if need[1] else None,
    )


def maximum_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of maximum: the inputs' tangents to the output's tangent."""
    return ts[0] * ctx + ts[1] * (1 - ctx)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min of a and b, broadcasting; where they tie each gets half the gradient."""
    if not isinstance(a, Tensor):
        a = lift(a, b if isinstance(b, Tensor) else None)
    b = lift(b, a)
    out = np.minimum(a.data, b.data)
    # The mirror image of maximum: ties split the gradient equally, as torch.minimum does.
    share = (a.data < b.data) + 0.5 * (a.data == b.data)
    share = share.astype(out.dtype, copy=False)
    # maximum's rules apply unchanged: `share` is a's part of the gradient, 1 - share is b's.
    return make("minimum", out, (a, b), maximum_vjp, maximum_jvp, share, out.size, (share,))


def sqrt(x: Tensor) -> Tensor:
    """Square root elementwise (nan below 0, as torch.sqrt)."""
    with np.errstate(invalid="ignore"):
        out = np.sqrt(x.data)
    return make("sqrt", out, (x,), sqrt_vjp, sqrt_jvp, flops=out.size, saved=(out,))


def sqrt_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of sqrt: d sqrt(x)/dx = 1 / (2 sqrt(x)), read from the output."""
    return (g / (2 * out),)


def sqrt_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of sqrt: the inputs' tangents to the output's tangent."""
    return ts[0] / (2 * out)


def abs(x: Tensor) -> Tensor:
    """|x| elementwise; its gradient is sign(x), which is 0 at exactly 0 (as torch.abs)."""
    sign = np.sign(x.data)
    return make("abs", np.abs(x.data), (x,), abs_vjp, abs_jvp, sign, flops=x.size, saved=(sign,))


def abs_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of abs: the output's gradient g times sign(x)."""
    return (g * ctx,)


def abs_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of abs: the inputs' tangents to the output's tangent."""
    return ts[0] * ctx


def _bound(value: Any, name: str, shape: tuple[int, ...]) -> Any:
    if value is None:
        return None
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise ValueError(
                f"clamp: {name} is a Tensor that requires grad; bounds here are constants "
                "(use maximum/minimum for a bound that learns)"
            )
        value = value.data
    array = np.asarray(value)
    try:
        fits = np.broadcast_shapes(array.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"clamp: {name} has shape {array.shape}, which does not broadcast to the input's "
            f"shape {shape}"
        )
    return value


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit x to [min, max] elementwise (either bound may be None), as torch.clamp.

    The gradient is 1 where min <= x <= max, bounds included, and 0 outside: PyTorch's
    clamp_backward (derivatives.yaml) keeps the gradient of a value sitting exactly on a bound.
    With min > max every element becomes max and every gradient is 0, again as torch.
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must not be None, got both None")
    low, high = _bound(min, "min", x.shape), _bound(max, "max", x.shape)
    data = x.data
    inside = np.ones(data.shape, dtype=bool)
    out = data
    if low is not None:
        inside &= data >= low
        out = np.maximum(out, low)
    if high is not None:
        inside &= data <= high
        out = np.minimum(out, high)
    out = np.asarray(out, dtype=data.dtype)
    mask = inside.astype(data.dtype)
    return make("clamp", out, (x,), clamp_vjp, clamp_jvp, mask, flops=out.size, saved=(mask,))


clip = clamp  # torch.clip is an alias of torch.clamp


def clamp_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of clamp: g passes where x was inside the bounds, 0 elsewhere."""
    return (g * ctx,)


def clamp_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of clamp: the inputs' tangents to the output's tangent."""
    return ts[0] * ctx
