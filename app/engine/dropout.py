"""Dropout: zero each element with probability p while training, and scale the survivors.

Inverted dropout scales the kept elements by 1/(1 − p) during training, so each output's
expectation equals its input and evaluation needs no rescaling: there dropout is the identity.
The mask drawn in forward is the op's ctx, so backward multiplies by the very same mask: a
dropped element passes no gradient, a kept one passes g/(1 − p). The mask does not depend on x,
so it is a constant in every mode (Hessians and hvp included).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.nn import Module
from app.engine.tensor import Tensor, Value, make


def _check_p(p: float, where: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: dropout probability has to be between 0 and 1, but got p={p}")


def _rng(generator: np.random.Generator | int | None) -> np.random.Generator:
    """The generator to draw from: a Generator as given, an int seed, or fresh entropy."""
    if generator is None or isinstance(generator, int | np.integer):
        return np.random.default_rng(generator)
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"dropout: generator must be a numpy Generator, an int seed or None, got "
        f"{type(generator).__name__}"
    )


def dropout(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    generator: np.random.Generator | int | None = None,
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1 − p) when training;
    the input itself, with no node, when not training or p=0 (torch.nn.functional.dropout).

    generator is a numpy Generator (advanced by the draw), an int seed (the same mask every
    call) or None (fresh entropy). p=1 gives zeros.
    """
    _check_p(p, "dropout")
    x = input if isinstance(input, Tensor) else Tensor(input)
    if not training or p == 0.0:
        return x
    keep = _rng(generator).random(x.shape) >= p  # True with probability 1 − p
    # The scale is folded into the mask, so forward and backward are each one multiply.
    # p = 1 keeps nothing: the mask is all zeros (and 1/(1 − p) is never computed).
    mask = keep.astype(x.dtype) if p == 1.0 else keep * np.asarray(1 / (1 - p), dtype=x.dtype)
    out = x.data * mask
    return make("dropout", out, (x,), dropout_vjp, dropout_jvp, mask, flops=x.size, saved=(mask,))


def dropout_vjp(g: Value, xs: tuple, out: Value, ctx: Any, need: tuple) -> tuple:
    """Reverse-mode rule of dropout: the forward's mask (scale included) applied to g."""
    return (g * ctx,)


def dropout_jvp(ts: tuple, xs: tuple, out: np.ndarray, ctx: Any) -> np.ndarray:
    """Forward-mode rule of dropout: the forward's mask applied to the tangent."""
    return ts[0] * ctx


class Dropout(Module):
    """Dropout with probability p in training mode, the identity in eval mode (torch.nn.Dropout).

    seed starts the module's own generator (or is one), so a model's masks are reproducible;
    each call draws a new mask from it.
    """

    def __init__(self, p: float = 0.5, seed: int | np.random.Generator = 0) -> None:
        _check_p(p, "Dropout")
        self.p = p
        self.generator = _rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training, self.generator)
