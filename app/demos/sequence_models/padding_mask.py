"""Card 12: padding and masking in a batch of sequences.

Sequences of lengths ℓ_n are padded at the end to L and run as one batch. A left-to-right RNN's
outputs at real steps do not depend on the padding after them, but the recurrence keeps running
through it: h_n (the last step's state) is not the sequence's final state, which sits at step
ℓ_n − 1. The loss must be masked, L = Σ m_{t,n} ℓ_{t,n} / Σ m_{t,n}, so padded steps give no
gradient and the batch gradient equals that of the sequences run on their own.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.demos.sequence_models.common import (
    EXACT,
    grad_of,
    relative_error,
    rnn_reference,
    rnn_weights,
)
from app.engine import RNN, Tensor

INPUTS = 2


class PaddingParams(DemoParams):
    batch: int = Field(default=3, ge=2, le=4, description="Sequences N.")
    max_len: int = Field(default=6, ge=4, le=10, description="Padded length L.")
    hidden: int = Field(default=3, ge=2, le=4, description="Hidden size H.")


def _loss(out: Tensor, target: np.ndarray, mask: np.ndarray | None, count: int) -> Tensor:
    """Σ m ½‖h − y‖² / count; mask None sums every step (the unmasked slip)."""
    per_step = (((out - Tensor(target)) ** 2).sum(axis=-1)) * 0.5
    if mask is not None:
        per_step = per_step * Tensor(mask)
    return per_step.sum() * (1 / count)


@register(
    "padding_mask",
    "Padding and masking a batch of sequences",
    PaddingParams,
    rules=("rnn_cell.forward", "mul.vjp"),
)
def padding_mask(params: PaddingParams) -> Demo:
    """Run the demo: a padded batch against each sequence run alone."""
    rng = params.rng()
    n, length, hid = params.batch, params.max_len, params.hidden
    lengths = rng.integers(1, length, n)
    lengths[0] = length  # one full sequence, the others shorter
    lengths = rng.permutation(lengths)
    mask = (np.arange(length)[:, None] < lengths[None, :]).astype(float)  # (L, N)
    x_data = rng.standard_normal((length, n, INPUTS)) * mask[..., None]  # zeros after the end
    target = rng.standard_normal((length, n, hid))
    tokens = int(mask.sum())
    rnn = RNN(INPUTS, hid, seed=int(rng.integers(2**31)))
    x = Tensor(x_data, requires_grad=True)
    out, h_n = rnn(x)
    _loss(out, target, mask, tokens).backward()
    batch_grads = [grad_of(p).copy() for p in rnn.parameters()]
    dx = grad_of(x)
    rnn.zero_grad()
    for j, ell in enumerate(lengths):  # each sequence alone, unpadded
        alone, _ = rnn(Tensor(x_data[:ell, j : j + 1]))
        _loss(alone, target[:ell, j : j + 1], None, tokens).backward()
    alone_grads = [grad_of(p).copy() for p in rnn.parameters()]
    rnn.zero_grad()
    unmasked = RNN(INPUTS, hid, seed=0)
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        setattr(unmasked, name, Tensor(getattr(rnn, name).data.copy(), requires_grad=True))
    _loss(unmasked(Tensor(x_data))[0], target, None, tokens).backward()
    unmasked_grads = [grad_of(p) for p in unmasked.parameters()]
    ref = rnn_reference(x_data, np.zeros((n, hid)), *rnn_weights(rnn))
    last = out.data[lengths - 1, np.arange(n)]  # each sequence's state at its own last step
    short = int(np.argmin(lengths))
    real = mask.astype(bool)
    worst = lambda a, b: max(relative_error(p, q) for p, q in zip(a, b, strict=True))  # noqa: E731
    checks = [
        Check.at_most(
            "outputs at real steps equal each sequence's recurrence without its padding "
            "(relative error)",
            relative_error(out.data[real], ref[real]),
            EXACT,
        ),
        Check.at_least(
            f"h_n of the shortest sequence (length {lengths[short]}) is not its final state: "
            "the RNN ran on through the padding (relative difference)",
            relative_error(h_n.data[0, short], last[short]),
            1e-6,
        ),
        Check.at_most(
            "the masked batch loss has the gradient of the sequences run alone "
            "(relative error, worst parameter)",
            worst(batch_grads, alone_grads),
            EXACT,
        ),
        Check.equal(
            "padded steps get no gradient (max |∂L/∂x| at padded steps)",
            float(np.max(np.abs(dx[~real]), initial=0.0)),
            0.0,
        ),
        Check.at_least(
            "without the mask the gradient is different (relative difference)",
            worst(unmasked_grads, alone_grads),
            1e-3,
        ),
    ]
    steps = [
        Step("lengths ℓ_n", lengths.astype(float)),
        Step("mask m (L × N)", mask, r"m_{t,n} = [t < \ell_n]"),
        Step("h_n (engine) of the shortest sequence", h_n.data[0, short]),
        Step("its state at step ℓ − 1", last[short], r"h_{\ell_n - 1,\,n}"),
        Step(
            "masked loss",
            float(_loss(Tensor(out.data), target, mask, tokens).item()),
            r"L = \frac{\sum_{t,n} m_{t,n}\,\ell_{t,n}}{\sum_{t,n} m_{t,n}}",
        ),
    ]
    return Demo(
        name="padding_mask",
        title="Padding and masking a batch of sequences",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With lengths {', '.join(str(int(v)) for v in lengths)} padded to {length}, the "
            "masked loss gave the same gradient as the unpadded sequences; h_n of the shortest "
            "one was the state after its padding, not at its end."
        ),
    )
