"""Function transforms in the style of torch.func and HIPS autograd.

Functions take and return Tensors; the transforms take and return ndarrays. Forward mode is
real tangent propagation: each op's `*_jvp` rule pushes the input tangents to its output.
`hvp` is forward over reverse: the tangent rides along while the gradient is being computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from app.engine.autograd import gradients
from app.engine.tensor import Tensor, as_array, forward_ad

Function = Callable[..., Tensor]


def _leaf(x: Any, requires_grad: bool = True) -> Tensor:
    return Tensor(as_array(x.data if isinstance(x, Tensor) else x), requires_grad=requires_grad)


def _scalar(y: Tensor, transform: str) -> Tensor:
    if y.size != 1:
        raise ValueError(f"{transform} needs f to return a scalar, got shape {y.shape}")
    return y


def grad(f: Function, argnum: int = 0) -> Callable[..., np.ndarray]:
    """The function x -> df/dx for a scalar-valued f (gradient w.r.t. argument `argnum`)."""

    def grad_f(*xs: Any) -> np.ndarray:
        leaves = [_leaf(x, i == argnum) for i, x in enumerate(xs)]
        y = _scalar(f(*leaves), "grad")
        return gradients(y, leaves[argnum])[0].data

    return grad_f


def vjp(f: Function, *xs: Any) -> tuple[np.ndarray, Callable[[Any], tuple[np.ndarray, ...]]]:
    """(f(*xs), u -> u^T J for each x): one forward now, one backward per call of the result."""
    leaves = [_leaf(x) for x in xs]
    y = f(*leaves)

    def vjp_fn(u: Any) -> tuple[np.ndarray, ...]:
        seed = np.asarray(u, dtype=y.dtype).reshape(y.shape)
        # The graph is kept so vjp_fn can be called once per row of a Jacobian.
        grads = gradients(y, leaves, seed, retain_graph=True)
        return tuple(g.data for g in grads)

    return y.data, vjp_fn


def jvp(f: Function, xs: Any, vs: Any) -> tuple[np.ndarray, np.ndarray]:
    """(f(*xs), J v) in one forward pass carrying tangents vs; xs and vs are tuples or arrays."""
    xs_tuple = xs if isinstance(xs, tuple | list) else (xs,)
    vs_tuple = vs if isinstance(vs, tuple | list) else (vs,)
    with forward_ad():
        leaves = [_leaf(x, requires_grad=False) for x in xs_tuple]
        for leaf, v in zip(leaves, vs_tuple, strict=True):
            leaf.tangent = _tangent(leaf, v)
        y = f(*leaves)
    tangent = np.zeros_like(y.data) if y.tangent is None else y.tangent
    return y.data, tangent


def _tangent(x: Tensor, v: Any) -> np.ndarray:
    tangent = np.asarray(v.data if isinstance(v, Tensor) else v, dtype=x.dtype)
    if tangent.shape != x.shape:
        raise ValueError(f"tangent shape {tangent.shape} does not match input shape {x.shape}")
    return tangent


class Jacobian(NamedTuple):
    """A Jacobian of shape y.shape + x.shape and how many passes built it."""

    matrix: np.ndarray
    passes: int
    mode: str


def jacobian(f: Function, x: Any, mode: str = "rev") -> Jacobian:
    """dy/dx row by row (mode="rev": one VJP per output) or column by column ("fwd": one JVP
    per input)."""
    x = as_array(x)
    if mode == "rev":
        y, vjp_fn = vjp(f, x)
        rows = [vjp_fn(u)[0] for u in np.eye(y.size, dtype=y.dtype)]
        matrix = np.array(rows).reshape(y.shape + x.shape)
        return Jacobian(matrix, y.size, mode)
    if mode == "fwd":
        columns = [jvp(f, x, v.reshape(x.shape))[1] for v in np.eye(x.size, dtype=x.dtype)]
        y_shape = columns[0].shape if columns else f(Tensor(x)).shape
        matrix = np.array(columns).reshape((x.size, -1)).T.reshape(y_shape + x.shape)
        return Jacobian(matrix, x.size, mode)
    raise ValueError(f"mode must be 'rev' or 'fwd', got {mode!r}")


def hvp(f: Function, x: Any, v: Any) -> np.ndarray:
    """The exact Hessian-vector product H v of a scalar f at x, by forward over reverse."""
    with forward_ad():
        leaf = _leaf(x)
        leaf.tangent = _tangent(leaf, v)
        y = _scalar(f(leaf), "hvp")
        # Tangents present make backward run its rules on Tensors, so the gradient it builds
        # carries d(grad)/dx . v, which is H v.
        (g,) = gradients(y, leaf)
    return np.zeros_like(leaf.data) if g.tangent is None else g.tangent


def hessian(f: Function, x: Any) -> np.ndarray:
    """The full Hessian of a scalar f, one hvp per input element (so only for small x)."""
    x = as_array(x)
    columns = [hvp(f, x, e.reshape(x.shape)) for e in np.eye(x.size, dtype=x.dtype)]
    return np.array(columns).reshape((x.size, x.size)).T.reshape(x.shape + x.shape)


def value_and_grad(f: Function, *xs: Any) -> tuple[float, tuple[np.ndarray, ...]]:
    """f(*xs) and its gradient with respect to every argument."""
    leaves = [_leaf(x) for x in xs]
    y = _scalar(f(*leaves), "value_and_grad")
    return y.item(), tuple(g.data for g in gradients(y, leaves))


__all__: Sequence[str] = [
    "Jacobian",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "value_and_grad",
    "vjp",
]
