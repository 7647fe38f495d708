"""Normalisation: batch norm, layer norm, group norm and RMS norm, and their modules.

The four are one computation taken over different axes. Over the m elements a statistic covers,

    x̂ = (x − mean(x)) · inv_std,   inv_std = 1 / sqrt(var(x) + eps),   y = γ·x̂ + β

(RMS norm skips the mean: x̂ = x / sqrt(mean(x²) + eps), and has no β). So they share one
primitive, `_normalize`, whose gradient is written out. With ĝ = g·γ, the gradient reaching x̂:

    dx = (1/m) · inv_std · (m·ĝ − Σ ĝ − x̂ · Σ(ĝ·x̂)),   dγ = Σ g·x̂,   dβ = Σ g

The two sums are what normalising adds to a plain scaling by inv_std: Σ ĝ because every x moved
the mean, x̂·Σ(ĝ·x̂) because every x moved the variance. They make dx sum to zero over the m
elements and leave it orthogonal to x̂: shifting or scaling a whole group changes nothing.

    statistics over             batch_norm        layer_norm        group_norm     rms_norm
    (N, C, *)                   N and *, per C    the last dims     C/G and *      the last dims
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from app.engine.nn import Module
from app.engine.tensor import Tensor, Value, lift, make


class _Norm(NamedTuple):
    """What the rules of one normalisation node need."""

    axes: tuple[int, ...]  # the axes each statistic is taken over
    m: int  # elements per statistic
    view: tuple[int, ...]  # γ and β reshaped to this broadcast against x
    param_axes: tuple[int, ...]  # axes summed to bring a gradient back to γ's shape
    param_shape: tuple[int, ...]
    eps: float
    center: bool  # False for RMS norm: no mean subtracted
    has_weight: bool
    has_bias: bool
    xhat: np.ndarray
    inv_std: np.ndarray


def _statistics(x: Value, axes: tuple[int, ...], eps: float, center: bool) -> tuple:
    """(x̂, inv_std, mean, var) over axes, kept with size-1 axes. Written with operators that
    ndarrays and Tensors share, so the backward rule can rebuild x̂ from x as a graph."""
    mean = x.mean(axis=axes, keepdims=True) if center else None
    xc = x - mean if center else x
    var = (xc * xc).mean(axis=axes, keepdims=True)
    inv_std = (var + eps) ** -0.5
    return xc * inv_std, inv_std, mean, var


def _normalize(
    op: str,
    x: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    axes: tuple[int, ...],
    view: tuple[int, ...],
    eps: float,
    center: bool,
) -> tuple[Tensor, np.ndarray | None, np.ndarray]:
    """γ·x̂ + β as one node; also returns the batch mean and biased variance (for running stats)."""
    xhat, inv_std, mean, var = _statistics(x.data, axes, eps, center)
    out = xhat
    parents = [x]
    saved = [xhat, inv_std]
    # One FLOP per element for each pass: mean, centre, mean of squares, scale (no centring in
    # RMS norm), then one each for γ and β.
    flops = x.size * (4 if center else 3)
    if weight is not None:
        out = out * weight.data.reshape(view)
        parents.append(weight)
        saved.append(weight.data)
        flops += x.size
    if bias is not None:
        out = out + bias.data.reshape(view)
        parents.append(bias)
        flops += x.size
    param_axes = tuple(i for i, n in enumerate(view) if n == 1)
    param_shape = weight.shape if weight is not None else bias.shape if bias is not None else ()
    count = int(np.prod([x.shape[a] for a in axes]))
    ctx = _Norm(
        axes, count, view, param_axes, param_shape, eps, center,
        weight is not None, bias is not None, xhat, inv_std,
    )  # fmt: skip
    node = make(op, out, tuple(parents), norm_vjp, norm_jvp, ctx, flops, tuple(saved))
    return node, mean, var


def _to_params(g: Value, ctx: _Norm) -> Value:
    """Sum a gradient shaped like x over the axes γ is shared across, then shape it like γ."""
    if ctx.param_axes:
        g = g.sum(axis=ctx.param_axes, keepdims=True)
    return g.reshape(ctx.param_shape)


def norm_vjp(g: Value, xs: tuple, out: Value, ctx: _Norm, need: tuple) -> tuple:
    """Reverse-mode rule of the normalisations: dx, dγ, dβ as in the module docstring."""
    x = xs[0]
    if isinstance(x, Tensor):
        # Tensor mode (Hessians, hvp, counters): x̂ and inv_std are rebuilt from x with engine
        # ops, so the gradient is itself differentiable in x. The arrays in ctx depend on x
        # and would be constants here, which would make second derivatives silently wrong.
        xhat, inv_std, _, _ = _statistics(x, ctx.axes, ctx.eps, ctx.center)
    else:
        xhat, inv_std = ctx.xhat, ctx.inv_std
    grads: list[Value] = [None]
    if need[0]:
        m, axes = ctx.m, ctx.axes
        gh = g * xs[1].reshape(ctx.view) if ctx.has_weight else g  # the gradient reaching x̂
        # Σ(ĝ·x̂) removes the part along x̂ (the variance term); Σ ĝ removes the mean.
        along_xhat = xhat * (gh * xhat).sum(axis=axes, keepdims=True)
        if ctx.center:
            grads[0] = inv_std / m * (m * gh - gh.sum(axis=axes, keepdims=True) - along_xhat)
        else:
            grads[0] = inv_std / m * (m * gh - along_xhat)
    if ctx.has_weight:
        grads.append(_to_params(g * xhat, ctx) if need[1] else None)  # dγ = Σ g·x̂
    if ctx.has_bias:
        grads.append(_to_params(g, ctx) if need[-1] else None)  # dβ = Σ g
    return tuple(grads)


def norm_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: _Norm) -> np.ndarray:
    """Forward-mode rule: d x̂ = inv_std·(dxc − x̂·mean(x̂·dxc)), dxc the centred tangent."""
    xhat, axes = ctx.xhat, ctx.axes
    dxc = ts[0] - ts[0].mean(axis=axes, keepdims=True) if ctx.center else ts[0]
    tangent = ctx.inv_std * (dxc - xhat * (xhat * dxc).mean(axis=axes, keepdims=True))
    if ctx.has_weight:
        tangent = tangent * xs[1].reshape(ctx.view) + xhat * ts[1].reshape(ctx.view)
    if ctx.has_bias:
        tangent = tangent + ts[-1].reshape(ctx.view)
    return tangent


# --- the functions (torch.nn.functional) -------------------------------------------------------


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _param(value: Any, shape: tuple[int, ...], name: str, op: str, x: Tensor) -> Tensor | None:
    """weight or bias as a Tensor of `shape` (a constant if given as an array), or None."""
    if value is None:
        return None
    param = lift(value, x)
    if param.shape != shape:
        raise ValueError(f"{op}: {name} must have shape {shape}, got {param.shape}")
    return param


def _buffer(value: Any, channels: int, name: str) -> np.ndarray | None:
    """A running statistic as the ndarray to update in place (a Tensor's own data)."""
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray) or array.shape != (channels,):
        shape = getattr(array, "shape", type(array).__name__)
        raise ValueError(
            f"batch_norm: {name} must be an ndarray of shape ({channels},), got {shape}"
        )
    return array


def batch_norm(
    input: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) of (N, C), (N, C, L) or (N, C, H, W) input over all other
    axes, then γ·x̂ + β per channel (torch.nn.functional.batch_norm).

    training=True: batch statistics (biased variance), and running_mean / running_var, when
    given, are updated in place: running = (1 − momentum)·running + momentum·batch, with the
    unbiased variance (m/(m−1) times the biased one) for running_var, as PyTorch does.
    training=False: the running statistics are used, and the layer is an affine map of x.
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C, *) with at least 2 dims, got {x.shape}")
    channels = x.shape[1]
    view = (1, channels) + (1,) * (x.ndim - 2)
    gamma = _param(weight, (channels,), "weight", "batch_norm", x)
    beta = _param(bias, (channels,), "bias", "batch_norm", x)
    mean_buffer = _buffer(running_mean, channels, "running_mean")
    var_buffer = _buffer(running_var, channels, "running_var")
    if not training:
        if mean_buffer is None or var_buffer is None:
            raise ValueError(
                "batch_norm: running_mean and running_var are needed when training=False"
            )
        # Fixed statistics: (x − μ)·inv_std is affine in x, so existing ops give its gradients.
        shift = mean_buffer.astype(x.dtype).reshape(view)
        scale = ((var_buffer + eps) ** -0.5).astype(x.dtype).reshape(view)
        out = (x - shift) * scale
        if gamma is not None:
            out = out * gamma.reshape(view)
        if beta is not None:
            out = out + beta.reshape(view)
        return out
    count = x.size // channels if channels else 0
    if count < 2:
        # One value per channel has variance 0 and x̂ = 0 whatever x is: PyTorch refuses it too.
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input of "
            f"shape {x.shape}"
        )
    axes = (0, *range(2, x.ndim))
    out, mean, var = _normalize("batch_norm", x, gamma, beta, axes, view, eps, center=True)
    assert mean is not None
    if mean_buffer is not None:
        mean_buffer *= 1 - momentum
        mean_buffer += momentum * mean.reshape(channels)
    if var_buffer is not None:
        var_buffer *= 1 - momentum
        var_buffer += momentum * var.reshape(channels) * (count / (count - 1))
    return out


def _shape_tuple(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(normalized_shape, int | np.integer):
        return (int(normalized_shape),)
    return tuple(int(n) for n in normalized_shape)


def _last_dims(op: str, x: Tensor, normalized_shape: Any) -> tuple[tuple[int, ...], tuple, tuple]:
    """(normalized_shape, its axes in x, the view γ takes) for an op over x's last dims."""
    shape = _shape_tuple(normalized_shape)
    d = len(shape)
    if d == 0 or x.ndim < d or x.shape[x.ndim - d :] != shape:
        raise ValueError(
            f"{op}: normalized_shape {shape} must be non-empty and match the last dims of the "
            f"input, got input of shape {x.shape}"
        )
    axes = tuple(range(x.ndim - d, x.ndim))
    return shape, axes, (1,) * (x.ndim - d) + shape


def layer_norm(
    input: Any,
    normalized_shape: int | Sequence[int],
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each example over its last len(normalized_shape) dims, then γ·x̂ + β with γ, β
    of normalized_shape (torch.nn.functional.layer_norm). Same in training and evaluation."""
    x = _tensor(input)
    shape, axes, view = _last_dims("layer_norm", x, normalized_shape)
    gamma = _param(weight, shape, "weight", "layer_norm", x)
    beta = _param(bias, shape, "bias", "layer_norm", x)
    return _normalize("layer_norm", x, gamma, beta, axes, view, eps, center=True)[0]


def group_norm(
    input: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> Tensor:
    """Split the C channels of (N, C, *) input into num_groups groups, normalise each example's
    group over its channels and positions, then γ·x̂ + β per channel
    (torch.nn.functional.group_norm). num_groups=1 is layer norm over (C, *); num_groups=C is
    instance norm."""
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"group_norm: input must be (N, C, *) with at least 2 dims, got {x.shape}")
    n, channels, spatial = x.shape[0], x.shape[1], x.shape[2:]
    if num_groups < 1 or channels % num_groups:
        raise ValueError(
            f"group_norm: num_groups={num_groups} must be >= 1 and divide the {channels} channels"
        )
    gamma = _param(weight, (channels,), "weight", "group_norm", x)
    beta = _param(bias, (channels,), "bias", "group_norm", x)
    per_group = channels // num_groups
    # (N, G, C/G, *): the statistics are over C/G and *, and γ still lines up with the channels.
    grouped = x.reshape((n, num_groups, per_group, *spatial))
    axes = tuple(range(2, grouped.ndim))
    view = (1, num_groups, per_group) + (1,) * len(spatial)
    out = _normalize("group_norm", grouped, gamma, beta, axes, view, eps, center=True)[0]
    return out.reshape(x.shape)


def rms_norm(
    input: Any,
    normalized_shape: int | Sequence[int],
    weight: Any = None,
    eps: float | None = None,
) -> Tensor:
    """x / sqrt(mean(x²) + eps) · γ over the last len(normalized_shape) dims, no mean removed
    and no β (torch.nn.functional.rms_norm). eps=None means the machine epsilon of x's dtype,
    PyTorch's default (torch.finfo(x.dtype).eps)."""
    x = _tensor(input)
    shape, axes, view = _last_dims("rms_norm", x, normalized_shape)
    gamma = _param(weight, shape, "weight", "rms_norm", x)
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps
    return _normalize("rms_norm", x, gamma, None, axes, view, eps, center=False)[0]


# --- the modules (torch.nn) ----------------------------------------------------------------------


def _ones(shape: tuple[int, ...], dtype: Any, name: str) -> Tensor:
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=True, name=name)


def _zeros(shape: tuple[int, ...], dtype: Any, name: str) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=True, name=name)


class _BatchNorm(Module):
    """Batch norm with running statistics kept as ndarray buffers (not parameters)."""

    expected_dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        shape = (num_features,)
        self.weight = _ones(shape, dtype, "weight") if affine else None
        self.bias = _zeros(shape, dtype, "bias") if affine else None
        self.running_mean: np.ndarray | None = None
        self.running_var: np.ndarray | None = None
        self.num_batches_tracked: np.ndarray | None = None
        if track_running_stats:
            self.running_mean = np.zeros(shape, dtype=dtype)
            self.running_var = np.ones(shape, dtype=dtype)
            self.num_batches_tracked = np.zeros((), dtype=np.int64)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.expected_dims:
            dims = " or ".join(f"{d}D" for d in self.expected_dims)
            raise ValueError(
                f"{type(self).__name__}: expected {dims} input, got {x.ndim}D input of shape "
                f"{x.shape}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked += 1
            if self.momentum is None:
                # momentum=None: the running statistics are the plain average of every batch.
                factor = 1.0 / float(self.num_batches_tracked)
        # As PyTorch: batch statistics in training, and in eval when nothing is tracked.
        use_batch = self.training or self.running_mean is None
        tracked = not self.training or self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if tracked else None,
            self.running_var if tracked else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input (torch.nn.BatchNorm1d)."""

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, one statistic per channel (torch.nn.BatchNorm2d)."""

    expected_dims = (4,)


class LayerNorm(Module):
    """Layer norm over the last dims of normalized_shape (torch.nn.LayerNorm)."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        shape = self.normalized_shape
        self.weight = _ones(shape, dtype, "weight") if elementwise_affine else None
        self.bias = _zeros(shape, dtype, "bias") if elementwise_affine and bias else None

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


class GroupNorm(Module):
    """Group norm of num_channels channels in num_groups groups (torch.nn.GroupNorm)."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} must be divisible by "
                f"num_groups={num_groups}"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.weight = _ones((num_channels,), dtype, "weight") if affine else None
        self.bias = _zeros((num_channels,), dtype, "bias") if affine else None

    def forward(self, x: Tensor) -> Tensor:
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)


class RMSNorm(Module):
    """RMS norm over the last dims of normalized_shape, γ only (torch.nn.RMSNorm)."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = _ones(self.normalized_shape, dtype, "weight") if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)
