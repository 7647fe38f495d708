"""Card 6: what data, tensor and pipeline parallelism and the ZeRO stages put on each device.

Mixed-precision Adam keeps (2 + 2 + K)Ψ bytes with K = 12 (ZeRO paper): float16 weights and
gradients, and float32 master, m and v. Plain data parallelism replicates all of it on each of
N devices; ZeRO-1 shards the K·Ψ optimizer states, ZeRO-2 also the gradients, ZeRO-3 also the
weights. A sharded Adam step is the same arithmetic on slices, so after an all-gather the
weights equal an unsharded step. Tensor parallelism splits one layer's matrix instead, pipeline
parallelism splits the layers, at the cost of a bubble (p − 1)/(m + p − 1).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import EXACT, adam_reference, grad_or_nan, relative_error
from app.engine import Tensor, linear, optim

LR = 0.05
STEPS = 2
K = 12  # bytes of Adam optimizer state per parameter: float32 master, m and v


class ZeroShardingParams(DemoParams):
    devices: int = Field(default=4, ge=2, le=8, description="Devices N (also pipeline stages p).")
    parameters: int = Field(default=96, ge=16, le=256, description="Parameters Ψ of the model.")
    micro_batches: int = Field(default=8, ge=1, le=16, description="Pipeline micro-batches m.")


def device_bytes(psi: int, n: int, stage: int) -> int:
    """Bytes on device 0 (the largest shard) with ZeRO `stage` (0 = plain data parallel)."""
    shard = np.array_split(np.arange(psi), n)[0].size
    weights = np.zeros(shard if stage >= 3 else psi, np.float16)
    grads = np.zeros(shard if stage >= 2 else psi, np.float16)
    states = [np.zeros(shard if stage >= 1 else psi, np.float32) for _ in range(3)]
    return weights.nbytes + grads.nbytes + sum(s.nbytes for s in states)


def bubble(stages: int, micro: int) -> float:
    """Idle share of a fill-and-drain schedule: stage s runs micro-batch j at tick s + j."""
    ticks = max(s + j for s in range(stages) for j in range(micro)) + 1
    busy = {(s, s + j) for s in range(stages) for j in range(micro)}
    return 1 - len(busy) / (stages * ticks)


@register(
    "zero_sharding",
    "Memory per device: data, tensor, pipeline parallelism and ZeRO",
    ZeroShardingParams,
    rules=("optim.adam_moments", "optim.adam_bias_correction", "linear.vjp"),
)
def zero_sharding(params: ZeroShardingParams) -> Demo:
    """Run the demo: bytes per device by ZeRO stage, a sharded Adam step, a split layer."""
    rng = params.rng()
    n, psi, m = params.devices, params.parameters, params.micro_batches
    shard = math.ceil(psi / n)
    measured = [device_bytes(psi, n, stage) for stage in range(4)]
    formula = [16 * psi, 4 * psi + K * shard, 2 * psi + (2 + K) * shard, (4 + K) * shard]

    theta = rng.standard_normal(psi)
    replica_grads = rng.standard_normal((STEPS, n, psi))  # each replica's gradient, per step
    reduced = replica_grads.mean(axis=1)  # reduce-scatter = all-reduce mean, then keep a shard
    pieces = np.array_split(np.arange(psi), n)
    masters = [Tensor(theta[idx].copy(), requires_grad=True) for idx in pieces]
    optimizers = [optim.Adam([t], lr=LR) for t in masters]
    for step in range(STEPS):
        for t, opt, idx in zip(masters, optimizers, pieces, strict=True):
            t.grad = reduced[step, idx].copy()  # device i sees only its slice
            opt.step()
    gathered = np.concatenate([t.data for t in masters])  # the all-gather
    unsharded = adam_reference(theta, list(reduced), LR)

    d_in, d_out = 2 * n, 3 * n  # a layer split across the N devices
    x = rng.standard_normal((4, d_in))
    w_data = rng.standard_normal((d_out, d_in))
    g_out = rng.standard_normal((4, d_out))
    rows = np.array_split(np.arange(d_out), n)
    cols = np.array_split(np.arange(d_in), n)
    column_parts, column_grads = [], []
    for idx in rows:  # column-parallel: device i owns output features idx
        w = Tensor(w_data[idx], requires_grad=True)
        y = linear(Tensor(x), w)
        y.backward(gradient=g_out[:, idx])
        column_parts.append(y.data)
        column_grads.append(grad_or_nan(w))
    column_y = np.concatenate(column_parts, axis=1)
    row_y = np.sum(  # row-parallel: device i owns input features idx; the outputs are summed
        [linear(Tensor(x[:, idx]), Tensor(w_data[:, idx])).data for idx in cols], axis=0
    )
    full_y = x @ w_data.T
    bubble_share = bubble(n, m)
    checks = [
        *(
            Check.equal(f"{label}: bytes on a device", got, want)
            for label, got, want in zip(
                [
                    "data parallel (2 + 2 + 12)Ψ",
                    "ZeRO-1 4Ψ + 12Ψ/N",
                    "ZeRO-2 2Ψ + 14Ψ/N",
                    "ZeRO-3 16Ψ/N",
                ],
                measured,
                formula,
                strict=True,
            )
        ),
        Check.at_most(
            f"{STEPS} Adam steps on N shards, all-gathered, equal the unsharded update (relative)",
            relative_error(gathered - theta, unsharded - theta),
            1e-10,
        ),
        Check.at_most(
            "tensor parallel: column shards concatenated and row shards summed give x Wᵀ",
            max(relative_error(column_y, full_y), relative_error(row_y, full_y)),
            EXACT,
        ),
        Check.at_most(
            "each column shard's dW is its slice of Gᵀx (relative)",
            max(
                relative_error(gw, g_out[:, idx].T @ x)
                for gw, idx in zip(column_grads, rows, strict=True)
            ),
            EXACT,
        ),
        Check.at_most(
            "pipeline bubble of p stages and m micro-batches is (p − 1)/(m + p − 1)",
            abs(bubble_share - (n - 1) / (m + n - 1)),
            1e-12,
        ),
    ]
    steps = [
        Step("parameters Ψ", psi),
        Step("largest shard ⌈Ψ/N⌉", shard),
        Step("bytes per device: DP, ZeRO-1, ZeRO-2, ZeRO-3", np.array(measured)),
        Step("bytes per parameter per device", np.array(measured) / psi),
        Step("weights after the sharded steps (first 4)", gathered[:4]),
        Step("pipeline bubble", bubble_share, r"\frac{p-1}{m+p-1}"),
    ]
    chart = Chart(
        "Bytes per parameter on each device",
        "stage",
        "bytes / Ψ",
        [Series("bytes per parameter", [0, 1, 2, 3], [b / psi for b in measured])],
        kind="bar",
        y_from_zero=True,
        x_labels=("DP", "ZeRO-1", "ZeRO-2", "ZeRO-3"),
    )
    return Demo(
        name="zero_sharding",
        title="Memory per device: data, tensor, pipeline parallelism and ZeRO",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Ψ = {psi} on N = {n} devices: {measured[0] / psi:g} bytes per parameter per device "
            f"with plain data parallelism, {measured[1] / psi:.3g} with ZeRO-1, "
            f"{measured[2] / psi:.3g} with ZeRO-2 and {measured[3] / psi:.3g} with ZeRO-3, and "
            f"the sharded Adam step equals the unsharded one. A {n}-stage pipeline with {m} "
            f"micro-batches idles {bubble_share:.0%} of the time."
        ),
    )
