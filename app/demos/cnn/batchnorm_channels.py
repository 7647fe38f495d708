"""Card 10: batch norm in a CNN: one mean and variance per channel, over N, H and W.

BatchNorm2d(C) normalises each channel over all N·H·W of its values, then applies a per-channel
γ and β: 2C learnable parameters (plus 2C running statistics, which are buffers). A conv bias
right before it is subtracted away with the mean, so its gradient is zero.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.cnn.common import EXACT, directional_check, grad_of, relative_error
from app.demos.registry import register
from app.engine import BatchNorm2d, Tensor, conv2d

EPS = 1e-5  # PyTorch's default


class BatchnormChannelsParams(DemoParams):
    batch: int = Field(default=4, ge=2, le=8, description="Batch size N.")
    channels: int = Field(default=3, ge=1, le=6, description="Channels C.")
    size: int = Field(default=5, ge=2, le=8, description="Height and width of the feature map.")


def manual(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Per channel: (x − mean)/√(var + ε) over axes N, H, W (biased variance), then γ, β."""
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    view = (1, -1, 1, 1)
    return gamma.reshape(view) * (x - mean) / np.sqrt(var + EPS) + beta.reshape(view)


@register(
    "batchnorm_channels",
    "BatchNorm2d: statistics per channel over N, H, W",
    BatchnormChannelsParams,
    rules=("batch_norm.vjp",),
)
def batchnorm_channels(params: BatchnormChannelsParams) -> Demo:
    """Run the demo: BatchNorm2d after a conv, its statistics, parameters and gradients."""
    rng = params.rng()
    n, c, h = params.batch, params.channels, params.size
    x_in = rng.standard_normal((n, 2, h + 2, h + 2))
    w_data = rng.standard_normal((c, 2, 3, 3))
    b_data = rng.standard_normal(c) * 3
    gamma = rng.uniform(0.5, 2.0, c)
    beta = rng.standard_normal(c)
    g = rng.standard_normal((n, c, h, h))

    def block(with_bias: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, BatchNorm2d]:
        bn = BatchNorm2d(c, eps=EPS)
        assert bn.weight is not None and bn.bias is not None
        bn.weight.data[...] = gamma
        bn.bias.data[...] = beta
        w, b = Tensor(w_data, requires_grad=True), Tensor(b_data, requires_grad=True)
        z = conv2d(Tensor(x_in), w, b if with_bias else None)
        y = bn(z)
        y.backward(gradient=g)
        db = grad_of(b) if with_bias else np.zeros(c)
        return z.data, y.data, db, bn

    z, y, db, bn = block(True)
    _, y_no_bias, _, _ = block(False)
    params_count = sum(p.data.size for p in bn.parameters())
    assert bn.running_mean is not None and bn.running_var is not None
    buffers = bn.running_mean.size + bn.running_var.size

    def loss(zt: Tensor, gt: Tensor, bt: Tensor) -> Tensor:
        layer = BatchNorm2d(c, eps=EPS)
        layer.weight, layer.bias = gt, bt
        return (layer(zt) * Tensor(g)).sum()

    zt, gt, bt = (Tensor(v, requires_grad=True) for v in (z, gamma, beta))
    loss(zt, gt, bt).backward()
    checks = [
        Check.at_most(
            "the output equals per-channel normalisation over N, H, W (relative error)",
            relative_error(y, manual(z, gamma, beta)),
            EXACT,
        ),
        Check.equal(
            "learnable parameters: γ and β, one each per channel (2C)", params_count, 2 * c
        ),
        Check.equal("running statistics: 2C buffers, not parameters", buffers, 2 * c),
        Check.at_most(
            "a conv bias before batch norm changes nothing (relative difference of outputs)",
            relative_error(y, y_no_bias),
            1e-10,
        ),
        Check.at_most(
            "…and its gradient is zero (|∂L/∂b| relative to Σ|g| per channel)",
            float(np.max(np.abs(db))) / float(np.abs(g).sum(axis=(0, 2, 3)).min()),
            1e-10,
        ),
        directional_check(
            "dx, dγ, dβ of BatchNorm2d match central differences",
            loss,
            [z, gamma, beta],
            [grad_of(zt), grad_of(gt), grad_of(bt)],
            rng,
        ),
    ]
    steps = [
        Step("conv output z (N, C, H, W)", np.array(z.shape)),
        Step("values per channel statistic", n * h * h, r"m = N \cdot H \cdot W"),
        Step(
            "channel means of z",
            z.mean(axis=(0, 2, 3)),
            r"\mu_c = \frac{1}{NHW}\sum_{n,i,j} z_{ncij}",
        ),
        Step("channel variances of z (biased)", z.var(axis=(0, 2, 3))),
        Step("y[0, 0] = BatchNorm2d(z)[0, 0]", y[0, 0]),
        Step("∂L/∂(conv bias)", db, note="zero: the mean subtraction removes the bias"),
    ]
    return Demo(
        name="batchnorm_channels",
        title="BatchNorm2d: statistics per channel over N, H, W",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"BatchNorm2d({c}) on a {n}×{c}×{h}×{h} map takes each channel's mean and variance "
            f"over {n * h * h} values, learns {params_count} parameters, and makes the conv bias "
            "before it useless: the output ignores it and its gradient is zero."
        ),
    )
