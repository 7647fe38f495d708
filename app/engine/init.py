"""Weight initialisers as torch.nn.init has them, seeded with a NumPy generator.

Each fills `tensor.data` in place (no graph is recorded: initialising is not part of the
model's function) and returns the tensor. `generator` is a numpy Generator, an int seed, or
None for fresh entropy (PyTorch's global generator; a fixed default seed would give two layers
of the same shape the same weights). Values are drawn in float64 and rounded to the tensor's
dtype, so one seed gives the same weights in float32 and float64 up to rounding.

The scaled schemes keep activations' variance constant through depth: Var(w) = gain² / fan,
with fan_in for the forward pass, fan_out for the backward pass (Kaiming) or their mean
(Xavier), and gain undoing the nonlinearity's shrinkage (calculate_gain).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, TypeVar

import numpy as np

from app.engine.tensor import Tensor

Seed = np.random.Generator | int | None
T = TypeVar("T", Tensor, np.ndarray)

_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def _rng(generator: Seed) -> np.random.Generator:
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None or (isinstance(generator, int) and not isinstance(generator, bool)):
        return np.random.default_rng(generator)
    raise ValueError(
        f"generator must be a numpy Generator, an int seed or None, got {type(generator).__name__}"
    )


def _array(tensor: Tensor | np.ndarray) -> np.ndarray:
    data = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(data, np.ndarray):
        raise ValueError(f"tensor must be a Tensor or an ndarray, got {type(tensor).__name__}")
    return data


def _fill(tensor: T, values: Any) -> T:
    _array(tensor)[...] = values  # in place, rounded to the tensor's dtype
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain's table:
    linear, conv*, sigmoid → 1; tanh → 5/3; relu → √2; leaky_relu → √(2 / (1 + slope²)) (slope
    = param, 0.01 by default); selu → 3/4."""
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"param (negative_slope) must be a number, got {param!r}")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        # PyTorch's choice, for gradient flow; self-normalising nets want 'linear' instead.
        return 3.0 / 4
    raise ValueError(f"nonlinearity {nonlinearity!r} is not supported by calculate_gain")


def _calculate_fan_in_and_fan_out(tensor: Tensor | np.ndarray) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel): in·k and out·k, where k is
    the receptive field size, the product of the kernel dimensions (1 for a Linear weight)."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor | np.ndarray, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def zeros_(tensor: T) -> T:
    """Fill with 0."""
    return _fill(tensor, 0.0)


def ones_(tensor: T) -> T:
    """Fill with 1."""
    return _fill(tensor, 1.0)


def constant_(tensor: T, val: float) -> T:
    """Fill with val."""
    return _fill(tensor, val)


def uniform_(tensor: T, a: float = 0.0, b: float = 1.0, generator: Seed = None) -> T:
    """Fill with draws from U(a, b)."""
    if not a <= b:
        raise ValueError(f"uniform_ needs a <= b, got a={a!r}, b={b!r}")
    return _fill(tensor, _rng(generator).uniform(a, b, _array(tensor).shape))


def normal_(tensor: T, mean: float = 0.0, std: float = 1.0, generator: Seed = None) -> T:
    """Fill with draws from N(mean, std²)."""
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std!r}")
    return _fill(tensor, _rng(generator).normal(mean, std, _array(tensor).shape))


def xavier_uniform_(tensor: T, gain: float = 1.0, generator: Seed = None) -> T:
    """Glorot & Bengio (2010), uniform: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)),
    which is std = gain·√(2 / (fan_in + fan_out)) (a uniform's std is a/√3)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: T, gain: float = 1.0, generator: Seed = None) -> T:
    """Glorot & Bengio (2010), normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(
    tensor: Tensor | np.ndarray, a: float, mode: str, nonlinearity: str
) -> float | None:
    if _array(tensor).size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: T,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Seed = None,
) -> T:
    """He et al. (2015), uniform: U(−b, b) with b = gain·√(3 / fan), fan = fan_in or fan_out
    per mode, gain = calculate_gain(nonlinearity, a) (a: leaky_relu's negative slope).

    The default, leaky_relu with a = 0, is relu's gain √2: b = √(6 / fan_in)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: T,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Seed = None,
) -> T:
    """He et al. (2015), normal: N(0, std²) with std = gain / √fan (see kaiming_uniform_)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: T, gain: float = 1.0, generator: Seed = None) -> T:
    """Saxe et al. (2013): a (semi-)orthogonal matrix times gain; dimensions after the first
    are flattened, so a (rows, cols) view has orthonormal rows (rows ≤ cols) or columns.

    As PyTorch: QR of a standard normal matrix (transposed when wide), with Q's columns
    multiplied by the signs of R's diagonal so that Q is uniformly (Haar) distributed.
    """
    data = _array(tensor)
    if data.ndim < 2:
        raise ValueError(f"orthogonal_ needs at least 2 dimensions, got shape {data.shape}")
    if data.size == 0:
        return tensor
    rows = data.shape[0]
    cols = data.size // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(data.shape))
