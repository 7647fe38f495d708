"""Card 5: truncated backpropagation through time, and what it cannot learn.

With a window of k steps the carried state is detached after steps k, 2k, …: the forward values
are unchanged, but a loss at step t sends gradient back only to the start of its window,
s = ⌊t/k⌋·k. A dependency longer than the window gets no gradient at all: the model is never
told that x_0 mattered for a loss at the end.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import EXACT, grad_of, relative_error, rnn_bptt, rnn_weights
from app.engine import RNN, Tensor

INPUTS = 2


class TruncatedParams(DemoParams):
    steps: int = Field(default=12, ge=6, le=24, description="Sequence length L.")
    window: int = Field(default=4, ge=2, le=6, description="Truncation window k.")
    hidden: int = Field(default=3, ge=2, le=5, description="Hidden size H.")


def _input_grad(rnn: RNN, x_data: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outputs and ∂L/∂x for L = Σ_t ⟨g_t, h_t⟩."""
    x = Tensor(x_data, requires_grad=True)
    out, _ = rnn(x)
    out.backward(gradient=g)
    return out.data, grad_of(x)


@register(
    "truncated_bptt",
    "Truncated BPTT: the gradient stops at the window boundary",
    TruncatedParams,
    rules=("unroll.tbptt", "rnn_cell.forward", "tanh.vjp"),
)
def truncated_bptt(params: TruncatedParams) -> Demo:
    """Run the demo: one RNN's input gradients with full and with truncated BPTT."""
    rng = params.rng()
    length, k, hid = params.steps, params.window, params.hidden
    seed = int(rng.integers(2**31))
    full = RNN(INPUTS, hid, seed=seed)
    cut = RNN(INPUTS, hid, seed=seed, tbptt_steps=k)
    x = rng.standard_normal((length, 1, INPUTS))
    g_all = rng.standard_normal((length, 1, hid))
    g_last = np.zeros_like(g_all)
    g_last[-1] = g_all[-1]
    out_full, dx_full_last = _input_grad(full, x, g_last)
    out_cut, dx_cut_last = _input_grad(cut, x, g_last)
    _, dx_cut_all = _input_grad(cut, x, g_all)
    ref = rnn_bptt(x, np.zeros((1, hid)), rnn_weights(cut), g_all, window=k)
    start = ((length - 1) // k) * k  # the last window's first step
    reached = np.linalg.norm(dx_cut_last.reshape(length, -1), axis=1)
    reached_full = np.linalg.norm(dx_full_last.reshape(length, -1), axis=1)
    checks = [
        Check.equal(
            "truncation changes no forward value (max |h_full − h_truncated|)",
            float(np.max(np.abs(out_full - out_cut))),
            0.0,
        ),
        Check.equal(
            f"a loss at the last step reaches exactly the steps of its window, t ≥ {start}",
            float(np.count_nonzero(reached)),
            length - start,
        ),
        Check.at_most(
            "inside the window the truncated gradient equals full BPTT's (relative error)",
            relative_error(dx_cut_last[start:], dx_full_last[start:]),
            EXACT,
        ),
        Check.at_least(
            "full BPTT does send gradient to x_0 (‖∂L/∂x_0‖, the signal truncation drops)",
            float(reached_full[0]),
            1e-30,
        ),
        Check.at_most(
            "with a loss at every step, ∂L/∂x equals BPTT with δ reset at t = k, 2k, … "
            "(relative error)",
            relative_error(dx_cut_all, ref["dx"]),
            EXACT,
        ),
    ]
    t_axis: list[float | int] = list(range(length))
    chart = Chart(
        "Gradient of the last step's loss reaching each input",
        "input step t",
        "‖∂L_T/∂x_t‖",
        [
            Series("full BPTT", t_axis, list(reached_full)),
            Series(f"truncated, k = {k}", t_axis, list(reached)),
        ],
        kind="bar",
        y_from_zero=True,
    )
    steps = [
        Step("window starts", np.arange(0, length, k), r"0, k, 2k, \ldots"),
        Step("‖∂L_T/∂x_t‖, full BPTT", reached_full),
        Step("‖∂L_T/∂x_t‖, truncated", reached, note=f"zero before step {start}"),
    ]
    return Demo(
        name="truncated_bptt",
        title="Truncated BPTT: the gradient stops at the window boundary",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"With k = {k} the last step's loss reaches inputs {start}…{length - 1} only; "
            f"full BPTT also reaches x_0 (norm {reached_full[0]:.2g}), a dependency truncation "
            "can never learn."
        ),
    )
