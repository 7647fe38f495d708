"""Card 1: backpropagation through time, derived and checked.

An unrolled RNN is a deep network whose layers share W_hh, W_ih and b. Backward walks the
unrolled graph from the last step to the first: δ_t = (g_t + δ_{t+1} W_hh) ⊙ (1 − h_t²) carries
the gradient back one step, and each shared weight's gradient is the sum of its per-step terms.
The reference here is a NumPy loop over those formulas, independent of the engine's rules.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.demos.sequence_models.common import (
    EXACT,
    directional_check,
    grad_of,
    relative_error,
    rnn_bptt,
    rnn_weights,
)
from app.engine import RNN, Tensor


class BpttParams(DemoParams):
    steps: int = Field(default=5, ge=3, le=8, description="Sequence length L.")
    hidden: int = Field(default=3, ge=2, le=5, description="Hidden size H.")
    inputs: int = Field(default=2, ge=1, le=4, description="Input size I.")
    batch: int = Field(default=2, ge=1, le=3, description="Batch size N.")


@register(
    "bptt_by_hand",
    "Backprop through time: the engine against the BPTT recursion",
    BpttParams,
    rules=("rnn_cell.forward", "tanh.vjp", "linear.vjp", "autograd.fan_out"),
)
def bptt_by_hand(params: BpttParams) -> Demo:
    """Run the demo: an engine RNN's gradients against δ_t = (g_t + δ_{t+1} W_hh) ⊙ (1 − h_t²)."""
    rng = params.rng()
    length, n, hid, inp = params.steps, params.batch, params.hidden, params.inputs
    rnn = RNN(inp, hid, seed=int(rng.integers(2**31)))
    x_data = rng.standard_normal((length, n, inp))
    g = rng.standard_normal((length, n, hid))
    x = Tensor(x_data, requires_grad=True)
    out, _ = rnn(x)
    out.backward(gradient=g)
    weights = rnn_weights(rnn)
    ref = rnn_bptt(x_data, np.zeros((n, hid)), weights, g)
    d_hh, d_ih = grad_of(rnn.weight_hh_l0), grad_of(rnn.weight_ih_l0)
    last_only = ref["delta"][-1].T @ ref["h"][-2]  # the slip: only the final step's term

    def loss(xt: Tensor, w_hh: Tensor, w_ih: Tensor) -> Tensor:
        probe = RNN(inp, hid, seed=0)
        probe.weight_hh_l0, probe.weight_ih_l0 = w_hh, w_ih
        probe.bias_ih_l0, probe.bias_hh_l0 = rnn.bias_ih_l0, rnn.bias_hh_l0
        return (probe(xt)[0] * Tensor(g)).sum()

    checks = [
        Check.at_most(
            "the engine's h_t equal the recurrence tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) "
            "(relative error)",
            relative_error(out.data, ref["h"]),
            EXACT,
        ),
        Check.at_most(
            "dW_hh equals Σ_t δ_tᵀ h_{t−1}, summed over every step (relative error)",
            relative_error(d_hh, ref["dW_hh"]),
            EXACT,
        ),
        Check.at_most(
            "dW_ih = Σ_t δ_tᵀ x_t and db_ih = db_hh = Σ_t δ_t (relative error, worst)",
            max(
                relative_error(d_ih, ref["dW_ih"]),
                relative_error(grad_of(rnn.bias_ih_l0), ref["db"]),
                relative_error(grad_of(rnn.bias_hh_l0), ref["db"]),
            ),
            EXACT,
        ),
        Check.at_most(
            "dx_t equals δ_t W_ih at every step (relative error)",
            relative_error(grad_of(x), ref["dx"]),
            EXACT,
        ),
        Check.at_least(
            "the final step's term alone is not dW_hh (relative difference)",
            relative_error(last_only, d_hh),
            1e-2,
        ),
        directional_check(
            "dx, dW_hh, dW_ih match central differences of L = Σ_t ⟨g_t, h_t⟩",
            loss,
            [x_data, weights[1], weights[0]],
            [grad_of(x), d_hh, d_ih],
            rng,
        ),
    ]
    steps = [
        Step("x[:, 0]", x_data[:, 0], r"x \in \mathbb{R}^{L\times N\times I}"),
        Step(
            "h[:, 0] (engine)",
            out.data[:, 0],
            r"h_t = \tanh(W_{ih}x_t + b_{ih} + W_{hh}h_{t-1} + b_{hh})",
        ),
        Step("g[:, 0] = ∂L/∂h_t (direct)", g[:, 0]),
        Step(
            "δ[:, 0] (NumPy recursion)",
            ref["delta"][:, 0],
            r"\delta_t = (g_t + \delta_{t+1}W_{hh}) \odot (1 - h_t^2)",
        ),
        Step(
            "dW_hh (engine)",
            d_hh,
            r"\frac{\partial L}{\partial W_{hh}} = \sum_t \delta_t^\top h_{t-1}",
        ),
        Step("dW_hh from the final step only (wrong)", last_only),
    ]
    return Demo(
        name="bptt_by_hand",
        title="Backprop through time: the engine against the BPTT recursion",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Over {length} steps the engine's dW_hh is the sum of {length} per-step terms "
            "δ_tᵀ h_{t−1}, with δ carried back by δ_{t+1} W_hh and tanh′; the final step's term "
            f"alone is off by {relative_error(last_only, d_hh):.0%}."
        ),
    )
