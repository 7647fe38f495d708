"""Card 8: bidirectional RNNs, and when they are not allowed.

A bidirectional layer runs one RNN left to right and another right to left over the reversed
input, and concatenates their states: y_t = [h→_t ; h←_t], 2H features. h→_t depends on
x_1..x_t only, but h←_t depends on x_t..x_L: the whole layer sees the future, so it cannot be
used where step t must be computed before x_{t+1} exists (generation, streaming, a language
model's next-token loss).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import (
    EXACT,
    grad_of,
    relative_error,
    rnn_reference,
    rnn_weights,
)
from app.engine import RNN, Tensor, cat

INPUTS = 2


class BidirectionalParams(DemoParams):
    steps: int = Field(default=8, ge=3, le=12, description="Sequence length L.")
    hidden: int = Field(default=3, ge=2, le=5, description="Hidden size H per direction.")


@register(
    "bidirectional_rnn",
    "Bidirectional RNNs see the future",
    BidirectionalParams,
    rules=("rnn_cell.forward",),
)
def bidirectional_rnn(params: BidirectionalParams) -> Demo:
    """Run the demo: which inputs each half of a bidirectional output at step t depends on."""
    rng = params.rng()
    length, hid = params.steps, params.hidden
    forward = RNN(INPUTS, hid, seed=int(rng.integers(2**31)))
    backward = RNN(INPUTS, hid, seed=int(rng.integers(2**31)))
    x_data = rng.standard_normal((length, 1, INPUTS))
    x = Tensor(x_data, requires_grad=True)
    h_fwd, _ = forward(x)
    h_bwd = backward(x.flip(0))[0].flip(0)  # run on x_L..x_1, then put back in time order
    y = cat([h_fwd, h_bwd], dim=-1)
    t = length // 2
    g = rng.standard_normal(2 * hid)
    probe = np.zeros(y.shape)
    probe[t, 0, :hid] = g[:hid]
    y.backward(gradient=probe, retain_graph=True)
    reach_fwd = np.linalg.norm(grad_of(x).reshape(length, -1), axis=1)
    x.grad = None
    probe = np.zeros(y.shape)
    probe[t, 0, hid:] = g[hid:]
    y.backward(gradient=probe)
    reach_bwd = np.linalg.norm(grad_of(x).reshape(length, -1), axis=1)
    zeros = np.zeros((1, hid))
    ref_fwd = rnn_reference(x_data, zeros, *rnn_weights(forward))
    ref_bwd = rnn_reference(x_data[::-1], zeros, *rnn_weights(backward))[::-1]
    checks = [
        Check.equal("the output has 2H features per step", y.shape[-1], 2 * hid),
        Check.at_most(
            "both halves equal the recurrence run left to right and right to left (relative error)",
            max(relative_error(h_fwd.data, ref_fwd), relative_error(h_bwd.data, ref_bwd)),
            EXACT,
        ),
        Check.equal(
            f"the forward half at t = {t} gets no gradient from any later input "
            "(max ‖∂y→_t/∂x_s‖, s > t)",
            float(reach_fwd[t + 1 :].max()),
            0.0,
        ),
        Check.at_least(
            f"the backward half at t = {t} depends on every later input (min ‖∂y←_t/∂x_s‖, s > t)",
            float(reach_bwd[t + 1 :].min()),
            1e-12,
        ),
        Check.equal(
            "…and on no earlier one (max ‖∂y←_t/∂x_s‖, s < t)",
            float(reach_bwd[:t].max(initial=0.0)),
            0.0,
        ),
    ]
    s_axis: list[float | int] = list(range(length))
    chart = Chart(
        f"Which inputs the output at step t = {t} depends on",
        "input step s",
        "‖∂y_t/∂x_s‖",
        [
            Series("forward half y→_t", s_axis, list(reach_fwd)),
            Series("backward half y←_t", s_axis, list(reach_bwd)),
        ],
        kind="bar",
        y_from_zero=True,
    )
    steps = [
        Step(
            "y_t = [h→_t ; h←_t]",
            y.data[t, 0],
            r"y_t = [\overrightarrow{h}_t ; \overleftarrow{h}_t] \in \mathbb{R}^{2H}",
        ),
        Step("‖∂y→_t/∂x_s‖ for s = 0…L−1", reach_fwd, note="zero after t"),
        Step("‖∂y←_t/∂x_s‖ for s = 0…L−1", reach_bwd, note="zero before t"),
    ]
    return Demo(
        name="bidirectional_rnn",
        title="Bidirectional RNNs see the future",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"At step {t} of {length}, the forward half depends on x_0…x_{t} and the backward "
            f"half on x_{t}…x_{length - 1}: the concatenated output reads inputs that a "
            "left-to-right generator does not have yet."
        ),
    )
