"""Activations: gelu (exact and tanh), silu, softplus, leaky_relu, elu, hardtanh, and their modules.

Each is one primitive whose rule writes the derivative out, as an interview answer would:
gelu' = Φ(x) + x φ(x), silu' = σ(x) (1 + x (1 − σ(x))), softplus' = σ(βx), elu' = α eˣ below 0.
The smooth derivatives are written with x itself through engine ops (erf, exp, tanh, sigmoid),
never stored as arrays, so in tensor mode the rule is differentiable and Hessians and hvp come
out right. Only piecewise-constant factors (which branch of a kink x is on) are kept as masks.

At a kink the derivative does not exist and PyTorch picks a value; each docstring says which one
and follows PyTorch's backward kernel (derivatives.yaml names `leaky_relu_backward`,
`elu_backward`, `hardtanh_backward`, `softplus_backward`; aten/src/ATen/native/cpu/Activation.cpp
holds their formulas).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.engine.arith import linear
from app.engine.nn import Module
from app.engine.pointwise import exp, sigmoid, tanh
from app.engine.tensor import Tensor, Value, make

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # erf'(0)
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_TANH_CUBIC = 0.044715  # Hendrycks & Gimpel's constant in the tanh approximation


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _no_inplace(op: str, inplace: bool) -> None:
    if inplace:
        raise ValueError(
            f"{op}: inplace=True is not supported (the engine never overwrites inputs)"
        )


# Each rule reads these on ndarrays (the fast path) and on Tensors (tensor mode), where the engine
# op records the derivative's own dependence on x.
def _exp(v: Value) -> Value:
    return exp(v) if isinstance(v, Tensor) else np.exp(v)


def _tanh(v: Value) -> Value:
    return tanh(v) if isinstance(v, Tensor) else np.tanh(v)


def _sigmoid(v: Value) -> Value:
    if isinstance(v, Tensor):
        return sigmoid(v)
    # 1 / (1 + e^-v) written as e^-softplus(-v): logaddexp never overflows, for any v.
    return np.exp(-np.logaddexp(0.0, -v))


def _erf(v: Value) -> Value:
    return erf(v) if isinstance(v, Tensor) else _erf_array(v)


# --- erf: the primitive the exact gelu needs ---------------------------------------------------
def _erf_array(x: np.ndarray) -> np.ndarray:
    """erf elementwise. NumPy has none (and scipy is not allowed), so math.erf, the C library's
    erf (correct to about one ulp), is mapped over the elements: ~70 ns each, fine for a lesson."""
    x = np.asarray(x)
    values = np.fromiter(map(math.erf, x.ravel().tolist()), dtype=np.float64, count=x.size)
    return values.reshape(x.shape).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def erf(x: Tensor) -> Tensor:
    """The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt elementwise (torch.erf)."""
    x = _tensor(x)
    out = _erf_array(x.data)
    return make("erf", out, (x,), erf_vjp, erf_jvp, flops=out.size, saved=(x.data,))


def erf_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of erf: d erf(x)/dx = 2/√π e^(−x²)."""
    x = xs[0]
    return (g * (TWO_OVER_SQRT_PI * _exp(-(x * x))),)


def erf_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of erf: the inputs' tangents to the output's tangent."""
    return ts[0] * (TWO_OVER_SQRT_PI * np.exp(-(xs[0] * xs[0])))


# --- gelu --------------------------------------------------------------------------------------
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Φ(x), Φ the standard normal CDF (torch.nn.functional.gelu).

    approximate="none": Φ(x) = ½ (1 + erf(x/√2)), exact. approximate="tanh": Φ(x) ≈
    ½ (1 + tanh(√(2/π) (x + 0.044715 x³))), the form GPT-2 and BERT used. gelu is smooth, so there
    is no kink to choose a gradient for: the derivative is Φ(x) + x φ(x), φ the normal density
    (or the derivative of the tanh form, for approximate="tanh").
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    x = _tensor(input)
    data = x.data
    if approximate == "none":
        out = 0.5 * data * (1.0 + _erf_array(data * INV_SQRT2))
    else:
        inner = SQRT_2_OVER_PI * (data + GELU_TANH_CUBIC * data * data * data)
        out = 0.5 * data * (1.0 + np.tanh(inner))
    return make("gelu", out, (x,), gelu_vjp, gelu_jvp, approximate, flops=out.size, saved=(data,))


def _gelu_slope(x: Value, approximate: str) -> Value:
    """d gelu / dx, on an ndarray or (differentiably) on a Tensor."""
    if approximate == "none":
        cdf = 0.5 * (1.0 + _erf(x * INV_SQRT2))
        density = INV_SQRT_2PI * _exp(-0.5 * (x * x))
        return cdf + x * density
    t = _tanh(SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * (x * x * x)))
    inner_slope = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_CUBIC * (x * x))
    # d/dx ½ x (1 + t) = ½ (1 + t) + ½ x (1 − t²) u'(x)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner_slope


def gelu_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of gelu: g (Φ(x) + x φ(x)), recomputed from x."""
    return (g * _gelu_slope(xs[0], ctx),)


def gelu_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of gelu: the inputs' tangents to the output's tangent."""
    return ts[0] * _gelu_slope(xs[0], ctx)


# --- silu --------------------------------------------------------------------------------------
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x σ(x), also called swish (torch.nn.functional.silu). Smooth, so no kink: the derivative
    is σ(x) (1 + x (1 − σ(x))), which dips slightly below 0 for x below about −1.28."""
    _no_inplace("silu", inplace)
    x = _tensor(input)
    out = x.data * _sigmoid(x.data)
    return make("silu", out, (x,), silu_vjp, silu_jvp, flops=out.size, saved=(x.data,))


def _silu_slope(x: Value) -> Value:
    s = _sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def silu_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of silu: g σ(x) (1 + x (1 − σ(x)))."""
    return (g * _silu_slope(xs[0]),)


def silu_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of silu: the inputs' tangents to the output's tangent."""
    return ts[0] * _silu_slope(xs[0])


# --- softplus ----------------------------------------------------------------------------------
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β) log(1 + e^(βx)), and x itself where βx > threshold (torch.nn.functional.softplus).

    The linear region is PyTorch's: above the threshold log(1 + e^(βx))/β equals x to float
    precision, so torch returns x there, and its gradient there is exactly 1 (softplus_backward:
    `(x*beta) > threshold ? grad : grad * z / (z + 1)` with z = e^(βx)). Elsewhere the gradient
    is σ(βx). The switch at βx = threshold is a (tiny) jump, so that point gets σ(βx), the
    smooth branch, as in torch. Below it the value is computed as log1p(e^(−|βx|)) + max(βx, 0),
    which never overflows, so threshold=math.inf gives the plain softplus everywhere.
    """
    if beta == 0:
        raise ValueError(f"softplus: beta must not be 0 (it divides the result), got {beta!r}")
    x = _tensor(input)
    data = x.data
    z = beta * data
    smooth = z <= threshold
    soft = (np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0.0)) / beta
    out = np.where(smooth, soft, data).astype(data.dtype, copy=False)
    # Which branch x is on is piecewise constant, so it may be kept as a mask.
    mask = smooth.astype(data.dtype)
    ctx = (beta, mask)
    return make("softplus", out, (x,), softplus_vjp, softplus_jvp, ctx, out.size, (data, mask))


def _softplus_slope(x: Value, ctx: Any) -> Value:
    beta, mask = ctx
    # σ(βx) on the smooth branch, 1 on the linear one.
    return mask * _sigmoid(x * beta) + (1.0 - mask)


def softplus_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of softplus: g σ(βx), or g where βx > threshold."""
    return (g * _softplus_slope(xs[0], ctx),)


def softplus_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of softplus: the inputs' tangents to the output's tangent."""
    return ts[0] * _softplus_slope(xs[0], ctx)


# --- leaky_relu --------------------------------------------------------------------------------
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope · x otherwise (torch.nn.functional.leaky_relu).

    At the kink x = 0 the gradient is negative_slope, as PyTorch's leaky_relu_backward
    (`self > 0 ? grad : grad * negval`) gives: relu's choice of the left-hand slope.
    """
    _no_inplace("leaky_relu", inplace)
    x = _tensor(input)
    slope = np.where(x.data > 0, 1.0, negative_slope).astype(x.dtype)
    out = x.data * slope
    return make("leaky_relu", out, (x,), leaky_relu_vjp, leaky_relu_jvp, slope, out.size, (slope,))


def leaky_relu_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of leaky_relu: g times the slope of x's side (a constant mask)."""
    return (g * ctx,)


def leaky_relu_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of leaky_relu: the inputs' tangents to the output's tangent."""
    return ts[0] * ctx


# --- elu ---------------------------------------------------------------------------------------
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α (eˣ − 1) for x ≤ 0 (torch.nn.functional.elu).

    The derivative is 1 above 0 and α eˣ at and below 0, so the kink x = 0 gets α: PyTorch's
    elu_backward takes the x ≤ 0 branch there (`x <= 0 ? grad * negcoef * exp(x) : grad`). With
    α = 1 both sides agree and elu is C¹.
    """
    _no_inplace("elu", inplace)
    x = _tensor(input)
    data = x.data
    below = (data <= 0).astype(data.dtype)
    # x * below is x on the exponential side and 0 on the other, so exp never overflows.
    out = np.where(data > 0, data, alpha * np.expm1(data * below)).astype(data.dtype, copy=False)
    ctx = (alpha, below)
    return make("elu", out, (x,), elu_vjp, elu_jvp, ctx, flops=out.size, saved=(data, below))


def _elu_slope(x: Value, ctx: Any) -> Value:
    alpha, below = ctx
    # The mask is constant; α e^(x·below) is differentiable, so the Hessian α eˣ comes out of it.
    return (1.0 - below) + below * (alpha * _exp(x * below))


def elu_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of elu: g above 0, g α eˣ at and below 0."""
    return (g * _elu_slope(xs[0], ctx),)


def elu_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of elu: the inputs' tangents to the output's tangent."""
    return ts[0] * _elu_slope(xs[0], ctx)


# --- hardtanh ----------------------------------------------------------------------------------
def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x clipped to [min_val, max_val] (torch.nn.functional.hardtanh).

    The gradient is 1 strictly inside and 0 outside, and 0 at the bounds themselves: PyTorch's
    hardtanh_backward is `(x <= min_val || x >= max_val) ? 0 : grad`. (clamp, in contrast,
    passes the gradient at a bound.)
    """
    _no_inplace("hardtanh", inplace)
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val={min_val!r} must not be greater than max_val={max_val!r}"
        )
    x = _tensor(input)
    data = x.data
    out = np.minimum(np.maximum(data, min_val), max_val).astype(data.dtype, copy=False)
    inside = ((data > min_val) & (data < max_val)).astype(data.dtype)
    return make("hardtanh", out, (x,), hardtanh_vjp, hardtanh_jvp, inside, out.size, (inside,))


def hardtanh_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of hardtanh: g strictly inside the bounds, 0 elsewhere."""
    return (g * ctx,)


def hardtanh_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of hardtanh: the inputs' tangents to the output's tangent."""
    return ts[0] * ctx


# --- modules (torch.nn names and defaults) -----------------------------------------------------
class GELU(Module):
    """gelu as a layer: GELU(approximate='none' | 'tanh')."""

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return gelu(x, self.approximate)


class SiLU(Module):
    """silu (swish) as a layer."""

    def forward(self, x: Tensor) -> Tensor:
        return silu(x)


class Softplus(Module):
    """softplus as a layer: Softplus(beta=1.0, threshold=20.0)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        if beta == 0:
            raise ValueError(f"Softplus: beta must not be 0, got {beta!r}")
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return softplus(x, self.beta, self.threshold)


class LeakyReLU(Module):
    """leaky_relu as a layer: LeakyReLU(negative_slope=0.01)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return leaky_relu(x, self.negative_slope)


class ELU(Module):
    """elu as a layer: ELU(alpha=1.0)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return elu(x, self.alpha)


class Hardtanh(Module):
    """hardtanh as a layer: Hardtanh(min_val=-1.0, max_val=1.0)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        if min_val > max_val:
            raise ValueError(
                f"Hardtanh: min_val={min_val!r} must not be greater than max_val={max_val!r}"
            )
        self.min_val = min_val
        self.max_val = max_val

    def forward(self, x: Tensor) -> Tensor:
        return hardtanh(x, self.min_val, self.max_val)


class SwiGLU(Module):
    """A SwiGLU feed-forward block (Shazeer 2020, used by PaLM and LLaMA):

        SwiGLU(x) = (silu(x W1ᵀ + b1) ⊙ (x W3ᵀ + b3)) W2ᵀ + b2

    with W1, W3 of shape (hidden_features, in_features) and W2 of shape (in_features,
    hidden_features), so the output has the input's width. The silu branch is the gate, the
    plain linear branch the value, W2 projects back. Written as a composite of linear, silu and
    mul, so its gradient is the product rule through those ops: with h the gated hidden layer and
    G = dL/dh, dL/d(xW3ᵀ) = G ⊙ silu(xW1ᵀ) and dL/d(xW1ᵀ) = G ⊙ (xW3ᵀ) ⊙ silu'(xW1ᵀ).

    Weights and biases start as nn.Linear's do: uniform in ±1/√fan_in, seeded.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        bias: bool = True,
        *,
        seed: int | np.random.Generator = 0,
        dtype: Any = np.float64,
    ) -> None:
        for name, value in (("in_features", in_features), ("hidden_features", hidden_features)):
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"SwiGLU: {name} must be a positive int, got {value!r}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

        def param(size: Any, fan_in: int, name: str) -> Tensor:
            bound = 1.0 / math.sqrt(fan_in)
            values = rng.uniform(-bound, bound, size).astype(dtype)
            return Tensor(values, requires_grad=True, name=name)

        up = (hidden_features, in_features)
        self.w1 = param(up, in_features, "w1")
        self.w3 = param(up, in_features, "w3")
        self.w2 = param((in_features, hidden_features), hidden_features, "w2")
        self.b1 = param(hidden_features, in_features, "b1") if bias else None
        self.b3 = param(hidden_features, in_features, "b3") if bias else None
        self.b2 = param(in_features, hidden_features, "b2") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        hidden = silu(linear(x, self.w1, self.b1)) * linear(x, self.w3, self.b3)
        return linear(hidden, self.w2, self.b2)


__all__ = [
    "ELU",
    "GELU",
    "Hardtanh",
    "LeakyReLU",
    "SiLU",
    "Softplus",
    "SwiGLU",
    "elu",
    "erf",
    "gelu",
    "hardtanh",
    "leaky_relu",
    "silu",
    "softplus",
]
