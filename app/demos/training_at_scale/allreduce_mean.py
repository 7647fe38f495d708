"""Card 5: data-parallel gradients are all-reduced and divided by the number of replicas.

Each of N replicas computes the mean loss of its own shard of B/N examples. The average of the
N gradients (PyTorch DDP's all-reduce, then ÷ world size) is the full batch's gradient, so
every replica takes the same step as single-device training. A sum is N times larger: as if
the learning rate were multiplied by N. With shards of unequal size the plain average is
wrong too: a shard's mean must be weighted by its size.
"""

from __future__ import annotations

import itertools

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import EXACT, grad_of, relative_error
from app.engine import Tensor, linear, mse_loss

LR = 0.1


class AllreduceMeanParams(DemoParams):
    replicas: int = Field(default=4, ge=2, le=8, description="Data-parallel replicas N.")
    per_replica: int = Field(default=4, ge=2, le=8, description="Examples per replica.")
    n_in: int = Field(default=3, ge=1, le=6, description="Input features.")
    n_out: int = Field(default=2, ge=1, le=4, description="Outputs.")


def local_grads(
    w_data: np.ndarray, b_data: np.ndarray, x: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One replica's (dW, db) of its own mean squared error."""
    w, b = Tensor(w_data, requires_grad=True), Tensor(b_data, requires_grad=True)
    mse_loss(linear(Tensor(x), w, b), t).backward()
    return grad_of(w), grad_of(b)


@register(
    "allreduce_mean",
    "All-reduce of gradients over data-parallel replicas",
    AllreduceMeanParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def allreduce_mean(params: AllreduceMeanParams) -> Demo:
    """Run the demo: N replicas, their gradients averaged or summed, against one big batch."""
    rng = params.rng()
    n, m, d, o = params.replicas, params.per_replica, params.n_in, params.n_out
    x = rng.standard_normal((n * m, d))
    t = rng.standard_normal((n * m, o))
    w_data, b_data = rng.standard_normal((o, d)), rng.standard_normal(o)
    full_w, full_b = local_grads(w_data, b_data, x, t)
    err = x @ w_data.T + b_data - t
    ref_w = 2 * err.T @ x / err.size  # mse 'mean' divides by every element: N·B/N·outputs
    ref_b = 2 * err.sum(axis=0) / err.size
    shards = [
        local_grads(w_data, b_data, x[i * m : (i + 1) * m], t[i * m : (i + 1) * m])
        for i in range(n)
    ]
    sum_w = np.sum([s[0] for s in shards], axis=0)
    sum_b = np.sum([s[1] for s in shards], axis=0)
    mean_w, mean_b = sum_w / n, sum_b / n
    replicas = [w_data - LR * mean_w for _ in range(n)]
    single = w_data - LR * full_w
    # Unequal shards: replica 0 gets one example, the rest share the others.
    cuts = [0, 1, *np.linspace(1, n * m, n, dtype=int)[1:].tolist()]
    cuts = sorted(set(cuts))
    uneven = [local_grads(w_data, b_data, x[a:z], t[a:z])[0] for a, z in itertools.pairwise(cuts)]
    sizes = np.diff(cuts)
    plain_avg = np.mean(uneven, axis=0)
    weighted = np.sum([g * s for g, s in zip(uneven, sizes, strict=True)], axis=0) / sizes.sum()
    checks = [
        Check.at_most(
            "one big batch: the engine's dW, db equal 2(P − T)ᵀX / (B·outputs) (relative)",
            max(relative_error(full_w, ref_w), relative_error(full_b, ref_b)),
            EXACT,
        ),
        Check.at_most(
            "all-reduce mean of the replicas' gradients equals it (relative)",
            max(relative_error(mean_w, full_w), relative_error(mean_b, full_b)),
            EXACT,
        ),
        Check.between(
            "an all-reduce sum is N times it (‖sum‖ / ‖full‖ ÷ N)",
            float(np.linalg.norm(sum_w) / np.linalg.norm(full_w)) / n,
            1 - 1e-9,
            1 + 1e-9,
        ),
        Check.at_most(
            "after the step every replica equals single-device training (max |Δw|)",
            max(float(np.max(np.abs(r - single))) for r in replicas),
            1e-12,
        ),
        Check.at_most(
            "unequal shards: weighting each mean by its shard size recovers it (relative)",
            relative_error(weighted, full_w),
            EXACT,
        ),
        Check.at_least(
            "…the plain average of the shard means does not (relative difference)",
            relative_error(plain_avg, full_w),
            1e-3,
        ),
    ]
    steps = [
        Step("examples per replica", m),
        Step("dW of replica 0", shards[0][0]),
        Step("dW, all-reduce mean", mean_w, r"\frac{1}{N}\sum_{r=1}^{N} \nabla L_r"),
        Step("dW, one big batch", full_w),
        Step("dW, all-reduce sum", sum_w, r"\sum_r \nabla L_r = N\,\nabla L"),
        Step("unequal shard sizes", sizes),
    ]
    norms = [float(np.linalg.norm(g)) / float(np.linalg.norm(full_w)) for g in (mean_w, sum_w)]
    chart = Chart(
        "Size of the reduced gradient relative to one big batch",
        "all-reduce",
        "‖g‖ / ‖g_full‖",
        [Series("ratio", [0, 1], norms)],
        kind="bar",
        y_from_zero=True,
        x_labels=("mean", "sum"),
    )
    return Demo(
        name="allreduce_mean",
        title="All-reduce of gradients over data-parallel replicas",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"{n} replicas with {m} examples each: the mean of their gradients is the {n * m}-"
            f"example gradient exactly, so all replicas stay identical to one device; the sum is "
            f"{n}× larger, the same as a {n}× learning rate."
        ),
    )
