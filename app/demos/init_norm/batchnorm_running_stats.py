"""Card 7: batch norm in training and in evaluation, and the running-statistics bugs.

Training normalises with the batch's own statistics and updates the running ones,
running ← (1 − momentum)·running + momentum·batch (unbiased variance for running_var, as
PyTorch). Evaluation uses the running statistics: an example's output no longer depends on
its batch. Forgetting eval() leaves a prediction that changes with its companions, and a
batch of 2 leaves only the sign of x − μ.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.init_norm.common import EXACT, relative_error
from app.demos.registry import register
from app.engine import BatchNorm1d, Tensor, no_grad

MEAN, STD = 3.0, 2.0  # the data's true statistics
EPS = 1e-5


class BatchnormRunningStatsParams(DemoParams):
    batch: int = Field(default=8, ge=3, le=32, description="Examples per training batch.")
    steps: int = Field(default=20, ge=5, le=50, description="Training batches seen.")
    momentum: float = Field(default=0.1, ge=0.01, le=0.5, description="PyTorch's momentum.")


@register(
    "batchnorm_running_stats",
    "Batch norm: training vs eval and the running statistics",
    BatchnormRunningStatsParams,
    rules=("batch_norm.running_stats",),
)
def batchnorm_running_stats(params: BatchnormRunningStatsParams) -> Demo:
    """Run the demo: running statistics, eval vs train outputs, and a batch of two."""
    rng = params.rng()
    c, m, mom = 2, params.batch, params.momentum
    layer = BatchNorm1d(c, momentum=mom, eps=EPS)
    assert layer.running_mean is not None and layer.running_var is not None
    mean_replay, var_replay = np.zeros(c), np.ones(c)
    history = []
    with no_grad():
        for _ in range(params.steps):
            xb = rng.normal(MEAN, STD, (m, c))
            layer(Tensor(xb))
            mean_replay = (1 - mom) * mean_replay + mom * xb.mean(axis=0)
            var_replay = (1 - mom) * var_replay + mom * xb.var(axis=0, ddof=1)
            history.append(float(layer.running_var[0]))
        running_mean, running_var = layer.running_mean.copy(), layer.running_var.copy()

        probe = rng.normal(MEAN, STD, (1, c))
        companions_a = rng.normal(MEAN, STD, (m - 1, c))
        companions_b = rng.normal(MEAN + 2.0, STD, (m - 1, c))
        layer.eval()
        alone = layer(Tensor(probe)).data[0]
        in_a = layer(Tensor(np.vstack([probe, companions_a]))).data[0]
        expected = (probe[0] - running_mean) / np.sqrt(running_var + EPS)
        layer.train()
        train_a = layer(Tensor(np.vstack([probe, companions_a]))).data[0]
        train_b = layer(Tensor(np.vstack([probe, companions_b]))).data[0]
        pair = layer(Tensor(rng.normal(MEAN, STD, (2, c)))).data
    stats_error = max(
        relative_error(running_mean, mean_replay), relative_error(running_var, var_replay)
    )
    checks = [
        Check.at_most(
            "running statistics follow (1 − momentum)·running + momentum·batch, with the "
            "unbiased batch variance for running_var (relative error against a replay)",
            stats_error,
            EXACT,
        ),
        Check.at_most(
            "eval(): an example's output is (x − running_mean)/√(running_var + ε), alone or "
            "inside a batch (relative error)",
            max(relative_error(alone, expected), relative_error(in_a, expected)),
            EXACT,
        ),
        Check.at_least(
            "train mode (eval() forgotten): the same example's output changes with its "
            "batch companions (largest change)",
            float(np.max(np.abs(train_a - train_b))),
            1e-2,
        ),
        Check.at_most(
            "a training batch of 2: the two outputs are ±a with a ≤ 1, only the sign of "
            "x − μ survives (largest |y₀ + y₁|)",
            float(np.max(np.abs(pair[0] + pair[1]))) + float(max(0.0, np.max(np.abs(pair)) - 1)),
            1e-12,
        ),
    ]
    steps = [
        Step("running_mean after training", running_mean, note=f"true mean {MEAN}"),
        Step(
            "running_var after training",
            running_var,
            r"\hat v \leftarrow (1 - m)\,\hat v + m\,\tfrac{n}{n-1}\,\sigma_B^2",
            f"true variance {STD**2}; starts at 1",
        ),
        Step("eval output of the probe example", alone),
        Step("train-mode output, companions A", train_a),
        Step("train-mode output, companions B (shifted by +2)", train_b),
        Step("train-mode output of a batch of 2", pair, note="±a per feature"),
    ]
    charts = [
        Chart(
            "running_var of feature 0 per training batch",
            "batch",
            "running_var",
            [
                Series("running_var", list(range(1, params.steps + 1)), history),
                Series("true variance", [1, params.steps], [STD**2, STD**2]),
            ],
        )
    ]
    return Demo(
        name="batchnorm_running_stats",
        title="Batch norm: training vs eval and the running statistics",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"After {params.steps} batches with momentum {mom:g}, running_var is "
            f"{running_var[0]:.2f} (true {STD**2:g}). In eval mode the probe's output is the "
            "same alone or in a batch; in train mode it moved by "
            f"{float(np.max(np.abs(train_a - train_b))):.2f} when its companions changed."
        ),
    )
