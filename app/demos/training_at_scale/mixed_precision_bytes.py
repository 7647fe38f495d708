"""Card 1: mixed-precision training with Adam keeps about 16 bytes per parameter.

Two layouts give the same count. Apex/DeepSpeed style: float16 weights (2) and float16 gradients
(2), a float32 master copy (4), Adam's m and v in float32 (4 + 4). torch.amp style: float32
weights (4) and gradients (4), m and v (8), the float16 copies made per forward. The demo trains
a small MLP that way, counts the bytes of every array, and checks the optimizer's arithmetic.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import adam_reference, grad_of, relative_error
from app.engine import Tensor, linear, mse_loss, optim
from app.engine import dtypes as dt

LR = 0.1  # large steps: float32 rounding stays far below a 1e-4 slip in β₂
STEPS = 3


class MixedPrecisionBytesParams(DemoParams):
    n_in: int = Field(default=8, ge=2, le=16, description="Input features.")
    hidden: int = Field(default=16, ge=2, le=32, description="Hidden units.")
    batch: int = Field(default=8, ge=1, le=16, description="Examples per step.")


@register(
    "mixed_precision_bytes",
    "Bytes per parameter of mixed-precision Adam",
    MixedPrecisionBytesParams,
    rules=("to_dtype.vjp", "optim.adam_moments", "optim.adam_bias_correction"),
)
def mixed_precision_bytes(params: MixedPrecisionBytesParams) -> Demo:
    """Run the demo: train an MLP in float16 with float32 masters and Adam; count the bytes."""
    rng = params.rng()
    n_in, hidden, n = params.n_in, params.hidden, params.batch
    shapes = [(hidden, n_in), (hidden,), (1, hidden), (1,)]
    masters = [
        Tensor((rng.standard_normal(s) * 0.5).astype(np.float32), requires_grad=True)
        for s in shapes
    ]
    start = [m.data.astype(np.float64) for m in masters]
    adam = optim.Adam(masters, lr=LR)
    grads_seen: list[list[np.ndarray]] = [[] for _ in masters]
    exact_cast = 0.0
    copies: list[Tensor] = []
    for _ in range(STEPS):
        x = Tensor(rng.standard_normal((n, n_in)).astype(np.float16))
        target = rng.standard_normal((n, 1)).astype(np.float32)
        adam.zero_grad()
        copies = [dt.to_dtype(m, np.float16).retain_grad() for m in masters]
        w1, b1, w2, b2 = copies
        out = linear(linear(x, w1, b1).tanh(), w2, b2)
        loss = mse_loss(dt.to_dtype(out, np.float32), target)  # the loss in float32
        loss.backward()
        for i, (m, c) in enumerate(zip(masters, copies, strict=True)):
            grads_seen[i].append(grad_of(m).copy())
            # The cast's gradient is the float16 gradient, converted: nothing else may change.
            exact_cast = max(exact_cast, relative_error(grad_of(m), grad_of(c).astype(np.float32)))
        adam.step()
    n_params = sum(m.data.size for m in masters)
    fp16_weights = sum(c.data.nbytes for c in copies)
    fp16_grads = sum(grad_of(c).nbytes for c in copies)
    master_bytes = sum(m.data.nbytes for m in masters)
    master_grads = sum(grad_of(m).nbytes for m in masters)
    moments = sum(
        adam.state[m]["exp_avg"].nbytes + adam.state[m]["exp_avg_sq"].nbytes for m in masters
    )
    zero_layout = (fp16_weights + fp16_grads + master_bytes + moments) / n_params
    amp_layout = (master_bytes + master_grads + moments) / n_params
    update_error = max(
        relative_error(m.data.astype(np.float64) - s, adam_reference(s, g, LR) - s)
        for m, s, g in zip(masters, start, grads_seen, strict=True)
    )
    checks = [
        Check.equal(
            "float16 weights + float16 grads + float32 master + Adam m, v: bytes per parameter",
            zero_layout,
            16,
        ),
        Check.equal(
            "float32 weights + float32 grads + Adam m, v (torch.amp): bytes per parameter",
            amp_layout,
            16,
        ),
        Check.at_most(
            "the master gradient is the float16 gradient cast to float32 (relative difference)",
            exact_cast,
            0.0,
        ),
        Check.at_most(
            f"{STEPS} Adam steps on the float32 masters equal the documented update (relative)",
            update_error,
            2e-5,
        ),
    ]
    parts = {
        "float16 weights": fp16_weights / n_params,
        "float16 gradients": fp16_grads / n_params,
        "float32 master weights": master_bytes / n_params,
        "Adam m and v": moments / n_params,
    }
    steps = [
        Step("parameters Ψ", n_params),
        *(Step(f"bytes per parameter: {label}", value) for label, value in parts.items()),
        Step("total bytes per parameter", zero_layout, r"2 + 2 + 4 + 4 + 4 = 16"),
        Step("master gradient of W1, first row", grad_of(masters[0])[0]),
    ]
    chart = Chart(
        "Bytes per parameter, by buffer",
        "buffer",
        "bytes per parameter",
        [Series("bytes", list(range(len(parts))), list(parts.values()))],
        kind="bar",
        y_from_zero=True,
        x_labels=tuple(parts),
    )
    return Demo(
        name="mixed_precision_bytes",
        title="Bytes per parameter of mixed-precision Adam",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"An MLP with {n_params} parameters trained in float16 with float32 masters and Adam "
            f"holds {zero_layout:g} bytes per parameter: {master_bytes + moments} of the "
            f"{int(zero_layout * n_params)} bytes are optimizer-side float32 (master, m, v), "
            "before a single activation is stored."
        ),
    )
