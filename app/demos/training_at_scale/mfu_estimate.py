"""Card 8: model FLOPs utilisation from 6·N FLOPs per token.

For a network of dense layers with N weights, one token costs N multiply-adds forward and 2N
backward (dX and dW): 3N multiply-adds, 6N FLOPs at 2 FLOPs each. MFU = 6·N·(tokens/s) / peak
FLOP/s. Recomputing activations (checkpointing) adds a forward the hardware runs but the model
does not need: it raises hardware FLOPs utilisation (HFU, 8N per token), not MFU.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Linear, Tensor, checkpoint, count


class MfuEstimateParams(DemoParams):
    width: int = Field(default=16, ge=4, le=32, description="Width d of each layer.")
    layers: int = Field(default=3, ge=1, le=4, description="Dense layers (d×d, no bias).")
    tokens: int = Field(default=8, ge=1, le=32, description="Tokens in the batch.")
    model_billions: float = Field(default=7.0, ge=0.1, le=70.0, description="Model size N, 1e9.")
    tokens_per_second: float = Field(
        default=3000.0, ge=100.0, le=20000.0, description="Measured tokens/s per accelerator."
    )
    peak_tflops: float = Field(default=312.0, ge=50.0, le=2000.0, description="Peak TFLOP/s.")


def counted(layers: list[Linear], x: np.ndarray, recompute: bool) -> dict[str, int]:
    """FLOPs of one training step as the counters record them (multiply-adds for matmuls)."""

    def run(h: Tensor) -> Tensor:
        for layer in layers:
            h = layer(h).tanh()
        return h

    xt = Tensor(x, requires_grad=True)  # the input needs dX too, as embeddings would
    with count() as counter:
        out = checkpoint(run, xt) if recompute else run(xt)
        out.backward(gradient=np.ones(out.shape))
    return {phase: counter.flops[phase]["linear"] for phase in ("forward", "backward", "recompute")}


@register(
    "mfu_estimate",
    "Model FLOPs utilisation from 6·N·D",
    MfuEstimateParams,
    rules=("counters.flops",),
)
def mfu_estimate(params: MfuEstimateParams) -> Demo:
    """Run the demo: count a step's FLOPs with the engine, then estimate MFU for a real run."""
    rng = params.rng()
    d, n_layers, t = params.width, params.layers, params.tokens
    layers = [Linear(d, d, bias=False, seed=int(rng.integers(2**31))) for _ in range(n_layers)]
    n_weights = n_layers * d * d
    x = rng.standard_normal((t, d))
    plain = counted(layers, x, recompute=False)
    ckpt = counted(layers, x, recompute=True)
    model_flops = 2 * (plain["forward"] + plain["backward"])  # 2 FLOPs per multiply-add
    hardware_flops = 2 * (ckpt["forward"] + ckpt["backward"] + ckpt["recompute"])
    # A measured throughput fluctuates from step to step: five steps, averaged.
    samples = params.tokens_per_second * (1 + 0.02 * rng.standard_normal(5))
    throughput = float(samples.mean())
    n_model = params.model_billions * 1e9
    mfu = 6 * n_model * throughput / (params.peak_tflops * 1e12)
    checks = [
        Check.equal(
            "forward: one multiply-add per weight per token (N·T)", plain["forward"], n_weights * t
        ),
        Check.equal(
            "backward: dX and dW, two per weight per token (2·N·T)",
            plain["backward"],
            2 * n_weights * t,
        ),
        Check.equal("training FLOPs at 2 per multiply-add: 6·N·T", model_flops, 6 * n_weights * t),
        Check.equal(
            "with full recompute the hardware does 8·N·T (recompute charged apart)",
            hardware_flops,
            8 * n_weights * t,
        ),
        Check.equal(
            "…of which the replay is a third forward, not backward: backward stays 2·N·T",
            ckpt["backward"],
            2 * n_weights * t,
        ),
        Check.between(
            "so HFU / MFU = 8/6 under full recompute",
            hardware_flops / model_flops,
            4 / 3 - 1e-12,
            4 / 3 + 1e-12,
        ),
    ]
    steps = [
        Step("weights N (demo network)", n_weights),
        Step("forward multiply-adds (counters)", plain["forward"]),
        Step("backward multiply-adds (counters)", plain["backward"]),
        Step("training FLOPs", model_flops, r"6\,N\,T"),
        Step("measured tokens/s (5 steps)", samples),
        Step("model FLOP/s", 6 * n_model * throughput, r"6\,N\cdot\text{tokens/s}"),
        Step("MFU", mfu, r"\frac{6 N \cdot \text{tokens/s}}{\text{peak FLOP/s}}"),
        Step("HFU with full recompute", mfu * hardware_flops / model_flops),
    ]
    chart = Chart(
        "Utilisation of the peak",
        "measure",
        "share of peak",
        [Series("share", [0, 1], [mfu, mfu * hardware_flops / model_flops])],
        kind="bar",
        y_from_zero=True,
        x_labels=("MFU", "HFU, full recompute"),
    )
    return Demo(
        name="mfu_estimate",
        title="Model FLOPs utilisation from 6·N·D",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"The counters give {model_flops} FLOPs = 6·{n_weights}·{t} for a training step. "
            f"A {params.model_billions:g}B-parameter model at {throughput:.0f} tokens/s on a "
            f"{params.peak_tflops:g} TFLOP/s accelerator runs at MFU "
            f"{mfu:.1%}; full recompute would raise HFU to "
            f"{mfu * hardware_flops / model_flops:.1%}."
        ),
    )
