"""Card 15: PyTorch's LSTM gate layout and the forget-gate bias.

weight_ih (4H, I), weight_hh (4H, H), bias_ih and bias_hh (4H) are stacked in the order
i, f, g, o, so the forget gate is rows H:2H, and its bias is b_ih[H:2H] + b_hh[H:2H] (the two
vectors add). torch initialises every entry U(−1/√H, 1/√H), so the forget gate starts near
σ(0) = 1/2 and the cell path keeps about 2^−T of a gradient over T steps; setting the forget
bias to b gives σ(b)^T instead.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import (
    EXACT,
    cell_weights,
    grad_of,
    lstm_reference,
    relative_error,
    sigmoid,
)
from app.engine import LSTMCell, Tensor


class ForgetBiasParams(DemoParams):
    hidden: int = Field(default=4, ge=1, le=8, description="Hidden size H.")
    inputs: int = Field(default=3, ge=1, le=6, description="Input size I.")
    forget_bias: float = Field(default=1.0, ge=0.5, le=5.0, description="Forget bias b_f.")
    steps: int = Field(default=20, ge=5, le=40, description="Steps T of the retention test.")


def _retention(cell: LSTMCell, steps: int, c0_data: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """∂c_T/∂c_0 with x = 0 and W_hh = 0 (gates = σ of the biases), and its mean per step."""
    hid = c0_data.shape[-1]
    c0 = Tensor(c0_data, requires_grad=True)
    h, c, per_step = Tensor(np.zeros((1, hid))), c0, [1.0]
    cells = []
    for _ in range(steps):
        h, c = cell(Tensor(np.zeros((1, cell.input_size))), (h, c))
        c.retain_grad()
        cells.append(c)
    c.backward(gradient=np.ones((1, hid)))
    per_step = [float(np.mean(grad_of(t))) for t in reversed(cells[:-1])]
    return grad_of(c0)[0], [1.0, *per_step, float(np.mean(grad_of(c0)))]


@register(
    "lstm_forget_bias",
    "LSTM gate order i, f, g, o and the forget-gate bias",
    ForgetBiasParams,
    rules=("lstm_cell.forward", "mul.vjp"),
)
def lstm_forget_bias(params: ForgetBiasParams) -> Demo:
    """Run the demo: ∂c'/∂c of an engine LSTMCell before and after setting rows H:2H of b_ih."""
    rng = params.rng()
    hid, inp, length = params.hidden, params.inputs, params.steps
    cell = LSTMCell(inp, hid, seed=int(rng.integers(2**31)))
    cell.weight_hh = Tensor(np.zeros((4 * hid, hid)))  # only the biases drive the gates below
    c0 = rng.standard_normal((1, hid))
    _, _, b_ih_default, b_hh_default = cell_weights(cell)
    default_b = b_ih_default + b_hh_default
    default_keep, default_curve = _retention(cell, length, c0)
    b_ih = b_ih_default.copy()
    b_ih[hid : 2 * hid] = params.forget_bias  # torch: lstm.bias_ih_l0.data[H:2H].fill_(b)
    b_hh = b_hh_default.copy()
    b_hh[hid : 2 * hid] = 0.0  # the two biases add: zero the other one
    cell.bias_ih, cell.bias_hh = Tensor(b_ih, requires_grad=True), Tensor(b_hh, requires_grad=True)
    # One step from (x, h, c): ∂c'/∂c = f = σ(rows H:2H of the gate pre-activation).
    x = rng.standard_normal((1, inp))
    c = Tensor(c0, requires_grad=True)
    h_next, c_next = cell(Tensor(x), (Tensor(np.zeros((1, hid))), c))
    c_next.backward(gradient=np.ones((1, hid)))
    d_bias_f = grad_of(cell.bias_ih)[hid : 2 * hid].copy()
    pre = x @ cell.weight_ih.data.T + b_ih + b_hh
    ref_h, ref_c, gates = lstm_reference(x, np.zeros((1, hid)), c0, *cell_weights(cell))
    f = gates["f"][0]
    set_keep, set_curve = _retention(cell, length, c0)
    f_default = sigmoid(default_b[hid : 2 * hid])
    bound = 2 / np.sqrt(hid)
    checks = [
        Check.at_most(
            "one step equals c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c') with rows i, f, g, o "
            "(relative error)",
            max(relative_error(h_next.data, ref_h), relative_error(c_next.data, ref_c)),
            EXACT,
        ),
        Check.at_most(
            "∂(Σc')/∂b_ih[H:2H] = c ⊙ f(1 − f): the forget bias learns from the cell it keeps "
            "(relative error)",
            relative_error(d_bias_f, c0[0] * f * (1 - f)),
            EXACT,
        ),
        Check.at_most(
            "∂c'/∂c is the forget gate σ(z[H:2H]): rows H:2H, the second block of i, f, g, o "
            "(relative error)",
            relative_error(grad_of(c)[0], sigmoid(pre[0, hid : 2 * hid])),
            EXACT,
        ),
        Check.at_most(
            f"with the forget bias set to {params.forget_bias:g}, T = {length} steps of the cell "
            "path keep σ(b_f)^T (relative error)",
            relative_error(set_keep, np.full(hid, sigmoid(params.forget_bias) ** length)),
            1e-10,
        ),
        Check.at_most(
            "with torch's default init they keep Π σ(b_ih,f + b_hh,f) = σ(b_f)^T per unit "
            "(relative error)",
            relative_error(default_keep, f_default**length),
            1e-10,
        ),
        Check.between(
            "the default forget gate starts within [σ(−2/√H), σ(2/√H)] of ½ (mean f)",
            float(f_default.mean()),
            float(sigmoid(-bound)),
            float(sigmoid(bound)),
        ),
    ]
    back: list[float | int] = list(range(length + 1))
    chart = Chart(
        "Cell-path gradient kept over T steps (x = 0, W_hh = 0)",
        "steps back",
        "mean ∂c_T/∂c_t",
        [
            Series("default init", back, default_curve),
            Series(f"forget bias {params.forget_bias:g}", back, set_curve),
        ],
        log_y=True,
    )
    steps = [
        Step("default forget gates σ(b_ih,f + b_hh,f)", f_default),
        Step("σ(b_f) after setting the bias", float(sigmoid(params.forget_bias))),
        Step(
            "∂c'/∂c (engine), one step",
            grad_of(c)[0],
            r"\frac{\partial c'}{\partial c} = f = \sigma(z_{H:2H})",
        ),
        Step("∂c_T/∂c_0, default", default_keep, r"\prod_t f_t"),
        Step("∂c_T/∂c_0, bias set", set_keep),
    ]
    return Demo(
        name="lstm_forget_bias",
        title="LSTM gate order i, f, g, o and the forget-gate bias",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Default init gives forget gates near {f_default.mean():.2f}, keeping "
            f"{float(np.mean(default_keep)):.2g} of a gradient over {length} steps; a forget bias "
            f"of {params.forget_bias:g} keeps {float(np.mean(set_keep)):.2g}."
        ),
    )
