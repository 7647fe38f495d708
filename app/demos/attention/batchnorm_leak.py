"""Card 12: why a causal language model uses layer norm, not batch norm.

Batch norm's statistics for a feature are taken over every token of every sequence in the
batch, so one token's output depends on later tokens (a leak of the future) and on the other
sequences. Layer norm's statistics are each token's own: its Jacobian is zero off the token.
The engine's gradients show it, checked against central differences.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import FD_TOL, directional_error, grad_of
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import Tensor, batch_norm, layer_norm, no_grad


class LeakParams(DemoParams):
    batch: int = Field(default=3, ge=2, le=4, description="Sequences B.")
    length: int = Field(default=5, ge=3, le=8, description="Tokens T per sequence.")
    width: int = Field(default=4, ge=3, le=8, description="Features d.")


def normed(kind: str, x: Tensor) -> Tensor:
    """(B, T, d) normalised by layer norm or by batch norm over all B·T tokens."""
    b, t, d = x.shape
    if kind == "layer":
        return layer_norm(x, (d,))
    flat = batch_norm(x.reshape((b * t, d)), None, None, training=True)
    return flat.reshape((b, t, d))


def token_gradient(kind: str, x: np.ndarray, u: np.ndarray, at: tuple[int, int]) -> np.ndarray:
    """∂(u · y[b0, t0])/∂x from the engine."""
    xt = Tensor(x, requires_grad=True)
    seed = np.zeros(x.shape)
    seed[at] = u
    normed(kind, xt).backward(gradient=seed)
    return grad_of(xt)


def central_difference(
    kind: str, x: np.ndarray, u: np.ndarray, at: tuple, grad: np.ndarray, rng: np.random.Generator
) -> float:
    """Relative error of the engine's gradient along one direction."""

    def f(z: np.ndarray) -> float:
        with no_grad():
            return float(np.sum(u * normed(kind, Tensor(z)).data[at]))

    return directional_error(f, x, grad, rng)


@register(
    "batchnorm_leak",
    "Batch norm leaks the future in a causal model; layer norm does not",
    LeakParams,
    rules=("layer_norm.vjp", "batch_norm.vjp"),
)
def batchnorm_leak(params: LeakParams) -> Demo:
    """Run the demo: which inputs one token's normalised output depends on."""
    rng = params.rng()
    b, t, d = params.batch, params.length, params.width
    x = rng.standard_normal((b, t, d))
    u = rng.standard_normal(d)
    at = (0, 1)  # sequence 0, token 1: tokens 2.. are its future
    ln_grad = token_gradient("layer", x, u, at)
    bn_grad = token_gradient("batch", x, u, at)
    others = np.ones((b, t), dtype=bool)
    others[at] = False
    future = np.zeros((b, t), dtype=bool)
    future[0, 2:] = True
    other_seq = np.zeros((b, t), dtype=bool)
    other_seq[1:] = True
    checks = [
        Check.at_most(
            "layer norm: the token's output has zero gradient to every other token (max |dx|)",
            float(np.max(np.abs(ln_grad[others]))),
            0.0,
        ),
        Check.at_least(
            "batch norm: it depends on the same sequence's later tokens (max |dx|)",
            float(np.max(np.abs(bn_grad[future]))),
            1e-4,
        ),
        Check.at_least(
            "batch norm: and on the other sequences in the batch (max |dx|)",
            float(np.max(np.abs(bn_grad[other_seq]))),
            1e-4,
        ),
        Check.at_most(
            "layer norm's gradient matches central differences (relative error)",
            central_difference("layer", x, u, at, ln_grad, rng),
            FD_TOL,
        ),
        Check.at_most(
            "batch norm's gradient matches central differences (relative error)",
            central_difference("batch", x, u, at, bn_grad, rng),
            FD_TOL,
        ),
    ]
    steps = [
        Step("|dx| per token, layer norm (sequence 0)", np.abs(ln_grad[0]).sum(axis=-1)),
        Step(
            "|dx| per token, batch norm (sequence 0)",
            np.abs(bn_grad[0]).sum(axis=-1),
            note="tokens after 1 are the future",
        ),
        Step("|dx| per sequence, batch norm", np.abs(bn_grad).sum(axis=(1, 2))),
        Step("layer norm output, token (0, 1)", normed("layer", Tensor(x)).data[at]),
        Step("batch norm output, token (0, 1)", normed("batch", Tensor(x)).data[at]),
    ]
    return Demo(
        name="batchnorm_leak",
        title="Batch norm leaks the future in a causal model; layer norm does not",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            "The gradient of token 1's normalised output reached only token 1 under layer norm, "
            f"but every token of the batch under batch norm, including the {t - 2} later tokens "
            f"of its own sequence and all {b - 1} other sequences."
        ),
    )
