"""Card 1: Xavier/Glorot init from the forward and the backward variance of one linear layer.

y = x Wᵀ multiplies the activations' variance by fan_in·Var(w); backward, dX = G W multiplies
the gradients' variance by fan_out·Var(w). Xavier's Var(w) = 2/(fan_in + fan_out) makes the
mean of the two factors exactly 1, so neither pass is favoured when the layer is not square.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.init_norm.common import EXACT, draw_ratio_error, grad_of, relative_error
from app.demos.registry import register
from app.engine import Tensor, init, linear

BAND = 0.25  # measured variance ratios within ±25% of the prediction from this W


class XavierVarianceParams(DemoParams):
    fan_in: int = Field(default=32, ge=16, le=64, description="Inputs of the layer.")
    fan_out: int = Field(default=64, ge=16, le=128, description="Outputs of the layer.")
    batch: int = Field(default=256, ge=128, le=512, description="Examples measured.")


def gains(w: np.ndarray) -> tuple[float, float]:
    """(forward, backward) variance factors this W gives unit-variance inputs and gradients:
    E‖Wx‖²/n_out = ‖W‖²_F / n_out and E‖Wᵀg‖²/n_in = ‖W‖²_F / n_in."""
    total = float(np.sum(w * w))
    return total / w.shape[0], total / w.shape[1]


@register(
    "xavier_variance",
    "Xavier init: the forward and backward variance of a layer",
    XavierVarianceParams,
    rules=("init.xavier_std", "linear.vjp"),
)
def xavier_variance(params: XavierVarianceParams) -> Demo:
    """Run the demo: one layer's forward and backward variance under Xavier and fan-in init."""
    rng = params.rng()
    n_in, n_out, batch = params.fan_in, params.fan_out, params.batch
    std = float(np.sqrt(2.0 / (n_in + n_out)))
    init_seed = int(rng.integers(2**31))
    w_data = init.xavier_normal_(np.empty((n_out, n_in)), generator=init_seed)
    x_data = rng.standard_normal((batch, n_in))
    g_data = rng.standard_normal((batch, n_out))
    b_data = rng.standard_normal(n_out) * 0.1

    x = Tensor(x_data, requires_grad=True)
    w = Tensor(w_data, requires_grad=True)
    b = Tensor(b_data, requires_grad=True)
    y = linear(x, w, b)
    y.backward(gradient=g_data)
    dx, dw, db = grad_of(x), grad_of(w), grad_of(b)

    forward = float(np.mean((y.data - b_data) ** 2) / np.mean(x_data**2))
    backward = float(np.mean(dx**2) / np.mean(g_data**2))
    f_pred, b_pred = gains(w_data)
    fan_in_only = init.kaiming_normal_(
        np.empty((n_out, n_in)), nonlinearity="linear", generator=init_seed
    )
    f_lecun, b_lecun = gains(fan_in_only)
    linear_error = max(
        relative_error(dx, g_data @ w_data),
        relative_error(dw, g_data.T @ x_data),
        relative_error(db, g_data.sum(axis=0)),
    )
    checks = [
        Check.at_most(
            "xavier_normal_ draws N(0, 2/(fan_in + fan_out)): max |W − σz| / σ against the same "
            "generator's standard normals z",
            draw_ratio_error(w_data, init_seed, std),
            EXACT,
        ),
        Check.at_most(
            "the engine's backward of y = xWᵀ + b gives dX = G W, dW = Gᵀ X, db = Σ G "
            "(relative error)",
            linear_error,
            EXACT,
        ),
        Check.between(
            "forward: Var(y)/Var(x) measured over the batch, divided by fan_in·Var(w) "
            "(‖W‖²/fan_out for this W)",
            forward / f_pred,
            1 - BAND,
            1 + BAND,
        ),
        Check.between(
            "backward: Var(dX)/Var(G) measured, divided by fan_out·Var(w) (‖W‖²/fan_in)",
            backward / b_pred,
            1 - BAND,
            1 + BAND,
        ),
        Check.between(
            "Xavier: the mean of the measured forward and backward factors is about 1",
            (forward + backward) / 2,
            1 - BAND,
            1 + BAND,
        ),
    ]
    steps = [
        Step(
            "fan_in, fan_out",
            f"{n_in}, {n_out}",
            r"W \in \mathbb{R}^{n_\text{out}\times n_\text{in}}",
        ),
        Step(
            "Xavier Var(w)", std**2, r"\operatorname{Var}(w) = \frac{2}{n_\text{in} + n_\text{out}}"
        ),
        Step(
            "forward factor Var(y)/Var(x), measured",
            forward,
            r"\operatorname{Var}(y) = n_\text{in}\operatorname{Var}(w)\operatorname{Var}(x)",
            f"predicted {2 * n_in / (n_in + n_out):.3f}",
        ),
        Step(
            "backward factor Var(dX)/Var(G), measured",
            backward,
            r"\operatorname{Var}(dX) = n_\text{out}\operatorname{Var}(w)\operatorname{Var}(G)",
            f"predicted {2 * n_out / (n_in + n_out):.3f}",
        ),
        Step(
            "fan-in init Var(w) = 1/fan_in: forward, backward factors",
            f"{f_lecun:.3f}, {b_lecun:.3f}",
            note="forward kept at 1, backward scaled by fan_out/fan_in",
        ),
    ]
    charts = [
        Chart(
            "Variance factor of one layer",
            "pass",
            "variance out / variance in",
            [
                Series("Xavier", [0, 1], [forward, backward]),
                Series("fan-in only (1/fan_in)", [0, 1], [f_lecun, b_lecun]),
                Series("ideal", [0, 1], [1.0, 1.0]),
            ],
            kind="bar",
            x_labels=("forward", "backward"),
            y_from_zero=True,
        )
    ]
    return Demo(
        name="xavier_variance",
        title="Xavier init: the forward and backward variance of a layer",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With fan_in {n_in} and fan_out {n_out}, Xavier's Var(w) = {std**2:.4f} scaled the "
            f"activations' variance by {forward:.2f} and the gradients' by {backward:.2f}: a "
            "compromise whose mean is 1, where fan-in init keeps only the forward pass at 1."
        ),
    )
