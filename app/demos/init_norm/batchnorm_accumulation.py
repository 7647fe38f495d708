"""Card 14: batch norm and gradient accumulation.

Accumulating the gradients of k micro-batches (each loss divided by k) reproduces the big
batch's gradient exactly for a network whose examples do not interact. With batch norm the
statistics are the micro-batch's, so the accumulated gradient is the mean of k small-batch
gradients, not the big batch's, and the running statistics are updated k times.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.init_norm.common import EXACT, grad_of, gradcheck_all, relative_error
from app.demos.registry import register
from app.engine import BatchNorm1d, Tensor, linear


class BatchnormAccumulationParams(DemoParams):
    micro: int = Field(default=4, ge=3, le=16, description="Examples per micro-batch.")
    steps: int = Field(default=4, ge=2, le=8, description="Micro-batches accumulated (k).")
    features: int = Field(default=3, ge=2, le=8, description="Features.")


class Net:
    """x ↦ BN(x Wᵀ) or x ↦ tanh(x Wᵀ): a loss Σ R ⊙ out / N per batch of N."""

    def __init__(self, w: np.ndarray, normalise: bool, momentum: float = 0.1) -> None:
        self.w = Tensor(w.copy(), requires_grad=True)
        self.bn = BatchNorm1d(w.shape[0], momentum=momentum) if normalise else None

    def loss(self, x: np.ndarray, r: np.ndarray, divide: float) -> Tensor:
        z = linear(Tensor(x), self.w)
        out = self.bn(z) if self.bn is not None else z.tanh()
        return (out * Tensor(r)).sum() * (1.0 / (len(x) * divide))


@register(
    "batchnorm_accumulation",
    "Batch norm and gradient accumulation",
    BatchnormAccumulationParams,
    rules=("batch_norm.vjp", "autograd.accumulate", "linear.vjp", "batch_norm.running_stats"),
)
def batchnorm_accumulation(params: BatchnormAccumulationParams) -> Demo:
    """Run the demo: one big batch against k accumulated micro-batches, with and without BN."""
    rng = params.rng()
    m, k, c = params.micro, params.steps, params.features
    x = rng.normal(1.0, 2.0, (m * k, c))
    r = rng.standard_normal((m * k, c))
    w = rng.standard_normal((c, c))
    chunks = [slice(i * m, (i + 1) * m) for i in range(k)]

    def full(normalise: bool) -> np.ndarray:
        net = Net(w, normalise)
        net.loss(x, r, 1).backward()
        return grad_of(net.w)

    def accumulated(normalise: bool) -> tuple[np.ndarray, Net]:
        net = Net(w, normalise)
        for part in chunks:
            net.loss(x[part], r[part], k).backward()  # .grad adds up across the k calls
        return grad_of(net.w), net

    def separate_mean() -> np.ndarray:
        total = np.zeros_like(w)
        for part in chunks:
            net = Net(w, True)
            net.loss(x[part], r[part], 1).backward()
            total += grad_of(net.w) / k
        return total

    plain_full, plain_acc = full(False), accumulated(False)[0]
    bn_full = full(True)
    bn_acc, bn_net = accumulated(True)
    assert bn_net.bn is not None and bn_net.bn.running_mean is not None
    assert bn_net.bn.running_var is not None
    replay_mean, replay_var = np.zeros(c), np.ones(c)
    for part in chunks:
        z = x[part] @ w.T
        replay_mean = 0.9 * replay_mean + 0.1 * z.mean(axis=0)
        replay_var = 0.9 * replay_var + 0.1 * z.var(axis=0, ddof=1)
    big = Net(w, True)
    big.loss(x, r, 1)
    assert big.bn is not None and big.bn.running_mean is not None
    tracked = int(bn_net.bn.num_batches_tracked) if bn_net.bn.num_batches_tracked is not None else 0

    small_x = rng.normal(1.0, 2.0, (5, 3))
    small_r = rng.standard_normal((5, 3))

    def loss(w_: Tensor, g_: Tensor, b_: Tensor) -> Tensor:
        layer = BatchNorm1d(3)
        layer.weight, layer.bias = g_, b_
        return (layer(linear(Tensor(small_x), w_)) * Tensor(small_r)).sum()

    checks = [
        Check.at_most(
            f"no batch norm: {k} accumulated micro-batches give the big batch's gradient "
            "(relative error)",
            relative_error(plain_acc, plain_full),
            EXACT,
        ),
        Check.at_least(
            "batch norm: the accumulated gradient differs from the big batch's "
            "(relative difference)",
            relative_error(bn_acc, bn_full),
            1e-3,
        ),
        Check.at_most(
            "batch norm: the accumulated gradient is the mean of the k micro-batch gradients, "
            "each with its own statistics (relative error)",
            relative_error(bn_acc, separate_mean()),
            EXACT,
        ),
        Check.at_most(
            f"accumulating updates the running statistics {k} times, once per micro-batch "
            "(relative error against a replay)",
            max(
                relative_error(bn_net.bn.running_mean, replay_mean),
                relative_error(bn_net.bn.running_var, replay_var),
            ),
            EXACT,
        ),
        Check.equal("num_batches_tracked counts the micro-batches", tracked, k),
        gradcheck_all(
            "the engine's gradients of BN(xWᵀ) (W, γ, β) equal central differences",
            loss,
            [rng.standard_normal((3, 3)), rng.uniform(0.5, 2, 3), rng.normal(0, 1, 3)],
            ["∂L/∂W", "∂L/∂γ", "∂L/∂β"],
        ),
    ]
    steps = [
        Step("big batch", f"{m * k} examples", note=f"or {k} micro-batches of {m}"),
        Step("no BN: ∂L/∂W, big batch", plain_full),
        Step("no BN: ∂L/∂W, accumulated", plain_acc, note="equal"),
        Step("BN: ∂L/∂W, big batch", bn_full),
        Step("BN: ∂L/∂W, accumulated", bn_acc, note="different: micro-batch statistics"),
        Step(
            "running_mean after accumulation vs after the big batch",
            np.vstack([bn_net.bn.running_mean, big.bn.running_mean]),
        ),
    ]
    return Demo(
        name="batchnorm_accumulation",
        title="Batch norm and gradient accumulation",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"Without batch norm, {k} accumulated micro-batches of {m} reproduced the gradient "
            f"of the batch of {m * k} exactly; with batch norm they differ by "
            f"{relative_error(bn_acc, bn_full):.0%}, because each micro-batch normalised with "
            "its own mean and variance."
        ),
    )
