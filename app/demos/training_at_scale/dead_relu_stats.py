"""Card 14: dead ReLUs found from activation statistics.

A unit is dead when its pre-activation is negative for every input: it outputs 0 on the whole
batch, its mask is 0, so its incoming weights and bias get exactly zero gradient and no step can
revive it. Logging, per unit, the fraction of a batch on which it is active finds them; here
some units are killed with a large negative bias, as one oversized update can do.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import EXACT, grad_or_nan, relative_error
from app.engine import Tensor, linear


class DeadReluStatsParams(DemoParams):
    units: int = Field(default=12, ge=4, le=32, description="Hidden units.")
    dead: int = Field(default=3, ge=1, le=4, description="Units killed by a large negative bias.")
    batch: int = Field(default=64, ge=32, le=128, description="Examples in the batch.")


@register(
    "dead_relu_stats",
    "Dead ReLUs from activation statistics",
    DeadReluStatsParams,
    rules=("relu.vjp", "linear.vjp"),
)
def dead_relu_stats(params: DeadReluStatsParams) -> Demo:
    """Run the demo: a ReLU layer with some dead units, their statistics and gradients."""
    rng = params.rng()
    h, n = params.units, params.batch
    x = rng.standard_normal((n, 5))
    w1 = rng.standard_normal((h, 5)) / np.sqrt(5)
    b1 = rng.uniform(0.1, 0.5, h)  # live units: a small positive bias
    killed = np.sort(rng.choice(h, params.dead, replace=False))
    b1[killed] = -50.0  # far below any w·x: negative for every input
    w2 = rng.standard_normal((1, h))
    target = rng.standard_normal((n, 1))

    W1, B1 = Tensor(w1, requires_grad=True), Tensor(b1, requires_grad=True)
    pre = linear(Tensor(x), W1, B1)
    act = pre.relu()
    out = linear(act, Tensor(w2))
    ((out - Tensor(target)) ** 2).mean().backward()
    active = (act.data > 0).mean(axis=0)  # per unit: share of the batch where it fires
    found = np.flatnonzero(active == 0)
    dw1, db1 = grad_or_nan(W1), grad_or_nan(B1)
    g_out = 2 * (x @ w1.T + b1).clip(0) @ w2.T / n - 2 * target / n
    mask = (x @ w1.T + b1) > 0
    g_pre = (g_out @ w2) * mask
    live = np.setdiff1d(np.arange(h), killed)
    stepped = b1 - 0.1 * db1  # one SGD step on the bias
    still = ((x @ (w1 - 0.1 * dw1).T + stepped) > 0).mean(axis=0)
    checks = [
        Check.equal(
            "units active on 0% of the batch = the units killed (count found)",
            float(found.size if np.array_equal(found, killed) else -1),
            params.dead,
        ),
        Check.equal(
            "a dead unit's incoming weights and bias get exactly zero gradient (max |g|)",
            float(np.max(np.abs(dw1[killed])) + np.max(np.abs(db1[killed]))),
            0.0,
        ),
        Check.at_most(
            "live units' gradients equal (g·w₂ ⊙ mask)ᵀX and Σ g·w₂ ⊙ mask by hand (relative)",
            max(
                relative_error(dw1[live], (g_pre.T @ x)[live]),
                relative_error(db1[live], g_pre.sum(axis=0)[live]),
            ),
            EXACT,
        ),
        Check.equal(
            "after an SGD step the dead units are still dead (max activity)",
            float(np.max(still[killed])),
            0.0,
        ),
    ]
    steps = [
        Step("share of the batch where each unit is active", active),
        Step("dead units found", found),
        Step("‖dW₁‖ per unit", np.linalg.norm(dw1, axis=1)),
        Step("mean pre-activation of the dead units", pre.data[:, killed].mean(axis=0)),
    ]
    chart = Chart(
        "Share of the batch on which each unit fires",
        "unit",
        "active share",
        [Series("active", list(range(h)), active.tolist())],
        kind="bar",
        y_from_zero=True,
    )
    return Demo(
        name="dead_relu_stats",
        title="Dead ReLUs from activation statistics",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"{found.size} of {h} units fire on none of the {n} examples: their gradient is "
            "exactly 0, so an SGD step leaves them dead. A per-unit activity histogram (or the "
            "share of units that never fire) is the statistic that shows it."
        ),
    )
