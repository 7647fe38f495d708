"""Card 3: the LSTM's additive cell path, and the forget gate's role in its gradient.

c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t, so along the cell path ∂c_t/∂c_{t−1} = diag(f_t): no weight
matrix and no squashing derivative, only the forget gate. With W_hh = 0 the gates depend on the
inputs alone, that path is the only one from c_0 to c_T, and ∂c_T/∂c_0 = Π_t f_t exactly.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import (
    EXACT,
    cell_weights,
    directional_check,
    grad_of,
    lstm_reference,
    relative_error,
)
from app.engine import LSTMCell, Tensor

INPUTS = 3


class CellPathParams(DemoParams):
    steps: int = Field(default=20, ge=5, le=30, description="Sequence length T.")
    hidden: int = Field(default=4, ge=2, le=6, description="Hidden size H.")
    forget_bias: float = Field(
        default=2.0, ge=-1.0, le=4.0, description="Added to the forget gate's bias rows."
    )


def _run(cell: LSTMCell, x: np.ndarray, c0: Tensor) -> tuple[Tensor, Tensor, list[Tensor]]:
    """h_T, c_T and every c_t of the cell unrolled over x (T, 1, I) from h_0 = 0."""
    h = Tensor(np.zeros(c0.shape))
    c, cells = c0, []
    for x_t in x:
        h, c = cell(Tensor(x_t), (h, c))
        cells.append(c)
    return h, c, cells


@register(
    "lstm_cell_path",
    "The LSTM cell path: the gradient is multiplied by the forget gate",
    CellPathParams,
    rules=("lstm_cell.forward", "sigmoid.vjp", "mul.vjp"),
)
def lstm_cell_path(params: CellPathParams) -> Demo:
    """Run the demo: ∂c_T/∂c_0 of an engine LSTM cell (W_hh = 0) against Π_t f_t."""
    rng = params.rng()
    hid, length = params.hidden, params.steps
    cell = LSTMCell(INPUTS, hid, seed=int(rng.integers(2**31)))
    cell.weight_hh = Tensor(np.zeros((4 * hid, hid)))  # isolate the cell path
    b_ih = cell_weights(cell)[2].copy()
    b_ih[hid : 2 * hid] += params.forget_bias
    cell.bias_ih = Tensor(b_ih, requires_grad=True)
    x = rng.standard_normal((length, 1, INPUTS))
    c0_data = rng.standard_normal((1, hid))
    g = rng.standard_normal((1, hid))
    c0 = Tensor(c0_data, requires_grad=True)
    h_t, c_t, cells = _run(cell, x, c0)
    for c in cells:
        c.retain_grad()
    c_t.backward(gradient=g)

    # NumPy, torch's formulas with rows i, f, g, o.
    h_ref, c_ref = np.zeros((1, hid)), c0_data
    forget = []
    weights = cell_weights(cell)
    for x_t in x:
        h_ref, c_ref, gates = lstm_reference(x_t, h_ref, c_ref, *weights)
        forget.append(gates["f"])
    forget_arr = np.concatenate(forget)  # (T, H)
    product = np.prod(forget_arr, axis=0)
    per_step = [float(np.mean(np.abs(grad_of(c) / g))) for c in cells]
    per_step.insert(0, float(np.mean(np.abs(grad_of(c0) / g))))
    w_ih, bias = cell.weight_ih, cell.bias_ih

    def loss(w: Tensor, b: Tensor) -> Tensor:
        cell.weight_ih, cell.bias_ih = w, b
        try:
            return (_run(cell, x, Tensor(c0_data))[1] * Tensor(g)).sum()
        finally:
            cell.weight_ih, cell.bias_ih = w_ih, bias

    checks = [
        Check.at_most(
            "the engine's (h_T, c_T) equal torch's LSTM formulas with gate rows i, f, g, o "
            "(relative error)",
            max(relative_error(h_t.data, h_ref), relative_error(c_t.data, c_ref)),
            EXACT,
        ),
        Check.at_most(
            "∂c_T/∂c_0 = Π_t f_t, elementwise: the forget gates and nothing else (relative error)",
            relative_error(grad_of(c0), g * product),
            EXACT,
        ),
        directional_check(
            "∂L/∂W_ih and ∂L/∂b_ih (through the gates) match central differences of L = ⟨g, c_T⟩",
            loss,
            [w_ih.data, bias.data],
            [grad_of(w_ih), grad_of(bias)],
            rng,
        ),
    ]
    back: list[float | int] = list(range(length, -1, -1))
    chart = Chart(
        "Gradient along the cell path",
        "steps back k = T − t",
        "mean |∂c_T/∂c_t| over units",
        [Series("engine", back, per_step)],
        log_y=True,
    )
    steps = [
        Step(
            "forget gates f_t, first unit",
            forget_arr[:, 0],
            r"f_t = \sigma(W_{if}x_t + b_{if} + b_{hf})",
        ),
        Step("mean f_t", float(forget_arr.mean())),
        Step("Π_t f_t (NumPy)", product, r"\prod_{t=1}^{T} f_t"),
        Step(
            "∂c_T/∂c_0 (engine)",
            grad_of(c0)[0] / g[0],
            r"\frac{\partial c_T}{\partial c_0} = \prod_t \operatorname{diag}(f_t)",
        ),
    ]
    return Demo(
        name="lstm_cell_path",
        title="The LSTM cell path: the gradient is multiplied by the forget gate",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"With a mean forget gate of {forget_arr.mean():.2f}, {length} steps of the cell "
            f"path leave {float(np.mean(product)):.2g} of the gradient on average: exactly the "
            "product of the forget gates, with no weight matrix or tanh′ in between."
        ),
    )
