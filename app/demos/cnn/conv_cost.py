"""Card 2: parameters and multiply-adds of a conv layer, measured by the engine's counters.

Parameters: C_out·(C_in/groups·k² + 1). Forward: one multiply-add per product w·x, that is
N·C_out·H_out·W_out·C_in·k², plus one add per output for the bias. Backward: the same count once
for dW and once more for dX, so twice the forward, or once when the input needs no gradient.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Conv2d, Tensor, count


class ConvCostParams(DemoParams):
    c_in: int = Field(default=3, ge=1, le=8, description="Input channels C_in.")
    c_out: int = Field(default=8, ge=1, le=16, description="Output channels C_out.")
    kernel: int = Field(default=3, ge=1, le=5, description="Kernel size k (padding k // 2).")
    size: int = Field(default=8, ge=5, le=12, description="Input height and width.")
    batch: int = Field(default=2, ge=1, le=4, description="Batch size N.")


def measured(layer: Conv2d, x_data: np.ndarray, input_grad: bool) -> tuple[int, int, np.ndarray]:
    """(forward FLOPs, backward FLOPs, output) as the counters record them."""
    x = Tensor(x_data, requires_grad=input_grad)
    with count() as counter:
        y = layer(x)
        forward = counter.total_flops("forward")
        y.backward(gradient=np.ones(y.shape))
    return forward, counter.total_flops("backward"), y.data


@register(
    "conv_cost",
    "Parameters and multiply-adds of a conv layer",
    ConvCostParams,
    rules=("conv2d.flops", "counters.flops"),
)
def conv_cost(params: ConvCostParams) -> Demo:
    """Run the demo: count a Conv2d's parameters and FLOPs, forward and backward."""
    rng = params.rng()
    n, c_in, c_out, k, h = params.batch, params.c_in, params.c_out, params.kernel, params.size
    layer = Conv2d(c_in, c_out, k, padding=k // 2, seed=int(rng.integers(2**31)))
    x_data = rng.standard_normal((n, c_in, h, h))
    forward, backward, y = measured(layer, x_data, True)
    _, first_layer_backward, _ = measured(layer, x_data, False)
    h_out = h + 2 * (k // 2) - k + 1
    outputs = n * c_out * h_out * h_out
    macs = outputs * c_in * k * k
    n_params = sum(p.data.size for p in layer.parameters())
    expected_params = c_out * (c_in * k * k + 1)
    checks = [
        Check.equal("parameters: C_out·(C_in·k² + 1)", n_params, expected_params),
        Check.equal(
            "forward FLOPs: N·C_out·H_out·W_out·C_in·k² multiply-adds + one bias add per output",
            forward,
            macs + outputs,
        ),
        Check.equal(
            "backward FLOPs: dX and dW cost the forward's multiply-adds each, db one add per "
            "output",
            backward,
            2 * macs + outputs,
        ),
        Check.equal(
            "a first layer (input needs no gradient) skips dX: backward = forward",
            first_layer_backward,
            macs + outputs,
        ),
    ]
    steps = [
        Step("weight shape", np.array(layer.weight.shape), r"(C_\text{out}, C_\text{in}, k, k)"),
        Step("parameters", n_params, r"C_\text{out}(C_\text{in}k^2 + 1)"),
        Step("output sample y[0, 0]", y[0, 0]),
        Step("multiply-adds per output", c_in * k * k, r"C_\text{in} k^2"),
        Step("forward FLOPs (counters)", forward),
        Step("backward FLOPs (counters)", backward),
        Step("backward FLOPs, first layer (counters)", first_layer_backward),
    ]
    chart = Chart(
        "Backward FLOPs over forward FLOPs",
        "case",
        "ratio",
        [Series("ratio", [0, 1], [backward / forward, first_layer_backward / forward])],
        kind="bar",
        y_from_zero=True,
    )
    return Demo(
        name="conv_cost",
        title="Parameters and multiply-adds of a conv layer",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Conv2d({c_in}, {c_out}, {k}) has {n_params} parameters whatever the image size, "
            f"but costs {macs} multiply-adds on a batch of {n} {h}×{h} images: "
            f"{c_in * k * k} per output value. Backward counts {backward} FLOPs "
            f"({backward / forward:.2f}× forward), or {first_layer_backward} without dX."
        ),
    )
