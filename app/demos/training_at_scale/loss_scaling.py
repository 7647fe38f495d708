"""Card 2: float16 gradients below 2⁻²⁴ flush to zero; loss scaling moves them into range.

A float16 forward and backward with the loss in float32: the upstream gradient c·2^g (c in
[1, 2)) is cast to float16 on its way back and rounds to 0 below half the smallest subnormal,
2⁻²⁵. Scaling the loss by S = 2¹⁶ (GradScaler's init_scale) makes it c·2^(g+16), well inside
float16; the float32 master gradients are divided by S afterwards. Too large an S overflows
float16's maximum 65504 to inf, which is why GradScaler skips such a step and halves S.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import grad_of, relative_error
from app.engine import Tensor, linear
from app.engine import dtypes as dt

SCALE = 2.0**16  # torch.amp.GradScaler's init_scale


class LossScalingParams(DemoParams):
    grad_log2: int = Field(
        default=-28, ge=-31, le=-27, description="log₂ of the upstream gradient's size."
    )
    batch: int = Field(default=4, ge=1, le=8, description="Examples N.")
    n_in: int = Field(default=4, ge=1, le=8, description="Input features.")
    n_out: int = Field(default=3, ge=1, le=8, description="Output features.")


def backward_once(
    w_data: np.ndarray, x16: np.ndarray, c: np.ndarray, tiny: float, scale: float | None
) -> np.ndarray:
    """dL/dW of L = tiny·Σ c ⊙ linear(x, W) run in float16, plain or through scaled_backward."""
    w = Tensor(w_data, requires_grad=True)
    y = dt.to_dtype(linear(Tensor(x16), dt.to_dtype(w, np.float16)), np.float32)
    loss = (y * Tensor(c)).sum() * tiny
    with np.errstate(over="ignore", invalid="ignore"):
        if scale is None:
            loss.backward()
        else:
            dt.scaled_backward(loss, scale)
    return grad_of(w)


@register(
    "loss_scaling",
    "float16 underflow and loss scaling",
    LossScalingParams,
    rules=("dtypes.scaled_backward",),
)
def loss_scaling(params: LossScalingParams) -> Demo:
    """Run the demo: the same float16 backward unscaled, scaled by 2¹⁶, and scaled too far."""
    rng = params.rng()
    n, n_in, n_out, g = params.batch, params.n_in, params.n_out, params.grad_log2
    w_data = rng.standard_normal((n_out, n_in)).astype(np.float32)
    x16 = rng.uniform(0.5, 2.0, (n, n_in)).astype(np.float16)
    c = rng.uniform(1.0, 2.0, (n, n_out)).astype(np.float32)
    tiny = 2.0**g
    plain = backward_once(w_data, x16, c, tiny, None)
    scaled = backward_once(w_data, x16, c, tiny, SCALE)
    too_far = 2.0 ** (18 - g)  # c·2^18 > 65504: the upstream gradient is inf in float16
    overflowed = backward_once(w_data, x16, c, tiny, too_far)
    truth = (c.astype(np.float64) * tiny).T @ x16.astype(np.float64)
    # What float16 arithmetic gives exactly: the scaled upstream gradient is a power of two
    # times c (exact), cast to float16, multiplied in float16, unscaled in float32.
    g16 = (c * np.float32(tiny * SCALE)).astype(np.float16)
    emulated = (g16.T @ x16).astype(np.float32) / np.float32(SCALE)
    upstream = c * np.float32(tiny)
    checks = [
        Check.equal(
            "unscaled: the float16 upstream gradient is below 2⁻²⁵, every dW entry is 0",
            float(np.mean(plain == 0)),
            1.0,
        ),
        Check.at_most(
            "scaled by S = 2¹⁶ and divided back: dW equals float16 arithmetic / S (relative)",
            relative_error(scaled, emulated),
            1e-7,
        ),
        Check.at_most(
            "…and the true gradient to float16 precision (relative error)",
            relative_error(scaled, truth),
            1e-2,
        ),
        Check.equal(
            "S too large (c·2¹⁸ > 65504): the gradients overflow, so the step must be skipped",
            float(np.mean(~np.isfinite(overflowed))),
            1.0,
        ),
    ]
    steps = [
        Step("upstream gradient size", tiny, r"2^{g}"),
        Step("smallest float16 subnormal", float(np.finfo(np.float16).smallest_subnormal)),
        Step("largest float16", float(np.finfo(np.float16).max)),
        Step("upstream gradient in float16, unscaled", upstream.astype(np.float16)[0]),
        Step("upstream gradient in float16, scaled by 2¹⁶", g16[0]),
        Step("dW unscaled (all flushed)", plain),
        Step("dW with loss scaling", scaled),
        Step("dW in float64 (truth)", truth),
    ]
    chart = Chart(
        "Share of dW entries that survive in float16",
        "loss",
        "share nonzero",
        [Series("share", [0, 1], [float(np.mean(plain != 0)), float(np.mean(scaled != 0))])],
        kind="bar",
        y_from_zero=True,
        x_labels=("unscaled", "scaled by S = 2¹⁶"),
    )
    return Demo(
        name="loss_scaling",
        title="float16 underflow and loss scaling",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Upstream gradients of about 2^{g} vanish in float16 (below 2⁻²⁵ they round to 0), "
            "so every weight gradient is 0. Multiplying the loss by 2¹⁶ first lifts them to "
            f"about 2^{g + 16}; dividing the float32 gradients by 2¹⁶ afterwards recovers the "
            f"true gradient to {relative_error(scaled, truth):.1e}. At 2^{18 - g} they overflow."
        ),
    )
