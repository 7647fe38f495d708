"""Gradient checkpointing: trade recomputation for memory (torch.utils.checkpoint).

`checkpoint(fn, *args)` runs fn without recording its intermediates; the one node it leaves
in the graph re-runs fn in backward, with recording on, and backpropagates through that copy.
Peak memory then holds one segment's activations instead of every segment's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import autograd, counters
from app.engine.state import STATE
from app.engine.tensor import Tensor, Value, enable_grad, is_grad_enabled, make, no_grad


def checkpoint(fn: Callable[..., Tensor], *args: Tensor) -> Tensor:
    """fn(*args) whose intermediates are recomputed in backward instead of kept."""
    if is_grad_enabled() and not any(a.requires_grad for a in args):
        # The segment becomes a graph node only through its inputs: with none requiring grad,
        # parameters used inside fn would silently get no gradient (PyTorch warns here too).
        warnings.warn(
            "checkpoint: none of the inputs has requires_grad=True, so no gradient will flow "
            "through this segment, not even to parameters used inside fn",
            UserWarning,
            stacklevel=2,
        )
    with no_grad():
        out = fn(*[Tensor(a.data) for a in args])
    saved = tuple(a.data for a in args)
    return make("checkpoint", out.data, tuple(args), _vjp, _jvp, fn, saved=saved)


def _vjp(g: Value, xs: tuple, out: Value, fn: Any, need: tuple) -> tuple:
    # Only a create_graph pass (grad mode on) must stay connected to the real inputs.
    differentiable = is_grad_enabled()
    leaves = [
        x if differentiable else _fresh_leaf(x, needed) for x, needed in zip(xs, need, strict=True)
    ]
    with enable_grad(), counters.phase("recompute"):
        replay = fn(*leaves)
    wanted = [leaf for leaf, needed in zip(leaves, need, strict=True) if needed]
    # Parameters used inside fn get their .grad here, exactly as in a plain backward. On a
    # differentiable pass the replay hangs off the real inputs, so the walk stops at them.
    found = iter(
        autograd.run_backward(
            [replay],
            [g],
            create_graph=differentiable,
            accumulate=STATE.accumulating,
            inputs=wanted,
            stop_at_inputs=differentiable,
        )
    )
    return tuple(next(found) if needed else None for needed in need)


def _jvp(ts: tuple, xs: tuple, out: Any, fn: Any) -> Any:
    leaves = [Tensor(x) for x in xs]
    for leaf, tangent in zip(leaves, ts, strict=True):
        leaf.tangent = tangent
    with no_grad():
        tangent = fn(*leaves).tangent
    return np.zeros_like(out) if tangent is None else tangent


def _fresh_leaf(x: Value, requires_grad: bool) -> Tensor:
    """A leaf with x's value, and x's tangent when an hvp is running."""
    if not isinstance(x, Tensor):
        return Tensor(x, requires_grad=requires_grad)
    leaf = Tensor(x.data, requires_grad=requires_grad)
    leaf.tangent = x.tangent
    return leaf
