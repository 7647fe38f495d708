"""Card 4: GRU versus LSTM, by parameters and by gates.

With G gate blocks a PyTorch cell has weight_ih (G·H, I), weight_hh (G·H, H) and two biases
b_ih, b_hh of G·H each: G·(H·I + H² + 2H) parameters, with G = 1 (RNN), 3 (GRU: r, z, n) and
4 (LSTM: i, f, g, o). The GRU's candidate applies its reset gate to (W_hn h + b_hn), after the
bias, as torch and cuDNN do; Cho et al.'s original W_hn (r ⊙ h) + b_hn is another function.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import (
    EXACT,
    cell_weights,
    gru_reference,
    lstm_reference,
    relative_error,
)
from app.engine import GRUCell, LSTMCell, RNNCell, Tensor


class RecurrentParamsParams(DemoParams):
    input_size: int = Field(default=10, ge=1, le=64, description="Input size I.")
    hidden: int = Field(default=20, ge=1, le=64, description="Hidden size H.")


def _count(cell: RNNCell | GRUCell | LSTMCell) -> int:
    return sum(p.size for p in cell.parameters())


@register(
    "recurrent_params",
    "GRU versus LSTM: parameters and gates",
    RecurrentParamsParams,
    rules=("recurrent.parameters", "gru_cell.forward", "lstm_cell.forward"),
)
def recurrent_params(params: RecurrentParamsParams) -> Demo:
    """Run the demo: count the engine cells' parameters; one GRU and one LSTM step by formula."""
    rng = params.rng()
    i, h = params.input_size, params.hidden
    cells = {
        name: cls(i, h, seed=int(rng.integers(2**31)))
        for name, cls in (("RNN", RNNCell), ("GRU", GRUCell), ("LSTM", LSTMCell))
    }
    counts = {name: _count(cell) for name, cell in cells.items()}
    per_gate = h * i + h * h + 2 * h
    x = rng.standard_normal((2, i))
    h0 = rng.standard_normal((2, h))
    c0 = rng.standard_normal((2, h))
    gru, lstm = cells["GRU"], cells["LSTM"]
    gru_w, lstm_w = cell_weights(gru), cell_weights(lstm)
    gru_out = gru(Tensor(x), Tensor(h0)).data
    lstm_h, lstm_c = (t.data for t in lstm(Tensor(x), (Tensor(h0), Tensor(c0))))
    ref_h, ref_c, _ = lstm_reference(x, h0, c0, *lstm_w)
    other = gru_reference(x, h0, *gru_w, reset_after_bias=False)
    checks = [
        Check.equal("RNN cell: H(I + H) + 2H parameters", counts["RNN"], per_gate),
        Check.equal("GRU cell: 3·(H(I + H) + 2H) parameters", counts["GRU"], 3 * per_gate),
        Check.equal("LSTM cell: 4·(H(I + H) + 2H) parameters", counts["LSTM"], 4 * per_gate),
        Check.at_most(
            "a GRU step equals n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), "
            "h' = (1 − z) ⊙ n + z ⊙ h (relative error)",
            relative_error(gru_out, gru_reference(x, h0, *gru_w)),
            EXACT,
        ),
        Check.at_least(
            "the original form W_hn (r ⊙ h) + b_hn, reset before the product, is a different "
            "function (relative difference)",
            relative_error(other, gru_out),
            1e-9,
        ),
        Check.at_most(
            "an LSTM step equals c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c') with rows i, f, g, o "
            "(relative error)",
            max(relative_error(lstm_h, ref_h), relative_error(lstm_c, ref_c)),
            EXACT,
        ),
    ]
    names: list[float | int] = [1, 3, 4]
    chart = Chart(
        "Parameters per cell",
        "cell (G gate blocks)",
        "parameters",
        [Series("count", names, [counts["RNN"], counts["GRU"], counts["LSTM"]])],
        kind="bar",
        y_from_zero=True,
        x_labels=("RNN, G = 1", "GRU, G = 3", "LSTM, G = 4"),
    )
    steps = [
        Step(
            "parameters per gate block",
            per_gate,
            r"H\,I + H^2 + 2H \;(W_{ih},\ W_{hh},\ b_{ih},\ b_{hh})",
        ),
        Step("RNN, GRU, LSTM parameters (engine)", np.array(list(counts.values()))),
        Step("GRU h' (engine), first example", gru_out[0]),
        Step("GRU h' with W_hn (r ⊙ h) + b_hn (Cho et al.'s form)", other[0]),
        Step("LSTM c' (engine), first example", lstm_c[0]),
    ]
    return Demo(
        name="recurrent_params",
        title="GRU versus LSTM: parameters and gates",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"With I = {i} and H = {h} the cells have {counts['RNN']}, {counts['GRU']} and "
            f"{counts['LSTM']} parameters: a GRU is 3/4 of an LSTM of the same width."
        ),
    )
