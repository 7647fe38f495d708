"""Card 13: the initial hidden state, zero or learned.

torch's RNNs start from h_0 = 0 when none is given. A learned h_0 is one parameter vector of H
shared by every sequence: broadcast over the batch, so its gradient is the sum over the batch of
each sequence's ∂L/∂h_0 = δ_1 W_hh, the BPTT signal that reaches step 0.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.demos.sequence_models.common import EXACT, grad_of, relative_error, rnn_bptt, rnn_weights
from app.engine import RNN, Tensor

INPUTS = 2


class InitialStateParams(DemoParams):
    batch: int = Field(default=4, ge=1, le=6, description="Sequences N.")
    steps: int = Field(default=4, ge=2, le=8, description="Sequence length L.")
    hidden: int = Field(default=3, ge=2, le=5, description="Hidden size H.")


@register(
    "initial_state",
    "A learned initial hidden state: one vector, its gradient summed over the batch",
    InitialStateParams,
    rules=("add.vjp", "rnn_cell.forward", "tanh.vjp"),
)
def initial_state(params: InitialStateParams) -> Demo:
    """Run the demo: ∂L/∂h_0 for a shared learned h_0 against per-sequence BPTT."""
    rng = params.rng()
    n, length, hid = params.batch, params.steps, params.hidden
    rnn = RNN(INPUTS, hid, seed=int(rng.integers(2**31)))
    x = rng.standard_normal((length, n, INPUTS))
    g = rng.standard_normal((length, n, hid))
    h0_value = 0.5 * rng.standard_normal((1, 1, hid))
    shared = Tensor(h0_value, requires_grad=True)
    out, _ = rnn(Tensor(x), shared + Tensor(np.zeros((1, n, hid))))  # broadcast to the batch
    out.backward(gradient=g)
    per_seq = Tensor(np.broadcast_to(h0_value, (1, n, hid)).copy(), requires_grad=True)
    rnn(Tensor(x), per_seq)[0].backward(gradient=g)
    ref = rnn_bptt(x, np.broadcast_to(h0_value[0], (n, hid)), rnn_weights(rnn), g)
    zero_out, _ = rnn(Tensor(x))
    w_ih, _, b_ih, b_hh = rnn_weights(rnn)
    first_zero = np.tanh(x[0] @ w_ih.T + b_ih + b_hh)
    checks = [
        Check.at_most(
            "each sequence's ∂L/∂h_0 is δ_1 W_hh, the BPTT signal at step 0 (relative error)",
            relative_error(grad_of(per_seq)[0], ref["dh0"]),
            EXACT,
        ),
        Check.at_most(
            "the shared h_0's gradient is the sum of those over the batch (relative error)",
            relative_error(grad_of(shared)[0, 0], ref["dh0"].sum(axis=0)),
            EXACT,
        ),
        Check.equal("the shared h_0 is one vector of H parameters", shared.size, hid),
        Check.at_most(
            "with no h_0 given the first step is tanh(W_ih x_1 + b_ih + b_hh): h_0 = 0 "
            "(relative error)",
            relative_error(zero_out.data[0], first_zero),
            EXACT,
        ),
    ]
    steps = [
        Step("learned h_0", h0_value[0, 0], r"h_0 \in \mathbb{R}^{H}, \text{ shared}"),
        Step("per-sequence ∂L/∂h_0 (N × H)", grad_of(per_seq)[0], r"\delta_1 W_{hh}"),
        Step(
            "∂L/∂h_0 of the shared vector (engine)",
            grad_of(shared)[0, 0],
            r"\sum_n \frac{\partial L}{\partial h_{0,n}}",
        ),
    ]
    return Demo(
        name="initial_state",
        title="A learned initial hidden state: one vector, its gradient summed over the batch",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"A learned h_0 of {hid} numbers is broadcast to {n} sequences; its gradient is the "
            f"sum of their {n} BPTT signals at step 0, with norm "
            f"{np.linalg.norm(grad_of(shared)):.3g}."
        ),
    )
