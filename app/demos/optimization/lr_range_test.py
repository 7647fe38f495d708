"""Card 14: the learning-rate range test (Smith, 2015/2017). Raise the lr exponentially, one
minibatch per value, and record the loss: it falls slowly, then fast, then blows up. The
blow-up sits a little past the stability limit 2/λ_max of the loss's curvature (growth at
|1 − ηλ| just above 1 takes steps to show); a base lr is picked well below it, e.g. a tenth
of the lr at the blow-up. Here a linear regression's mean squared error, whose Hessian 2XᵀX/N is
known, shows where the limit falls."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error
from app.demos.registry import register
from app.engine import SGD, Tensor, lr_scheduler

STEPS = 120
BATCH = 32
FEATURES = 8


class LrRangeParams(DemoParams):
    examples: int = Field(default=512, ge=128, le=1024, description="Training set size N.")


@register(
    "lr_range_test",
    "The learning-rate range test",
    LrRangeParams,
    rules=("lr_scheduler.lambda", "optim.sgd_step"),
)
@quiet
def lr_range_test(params: LrRangeParams) -> Demo:
    """Run the demo: SGD on linear regression while LambdaLR raises the lr 1e4-fold."""
    rng = params.rng()
    n = params.examples
    x = rng.standard_normal((n, FEATURES)) * rng.uniform(0.3, 1.5, size=FEATURES)
    y = x @ rng.standard_normal(FEATURES) + 0.1 * rng.standard_normal(n)
    hessian = 2 * x.T @ x / n
    limit = 2 / float(np.linalg.eigvalsh(hessian)[-1])
    low, high = limit * 1e-3, limit * 10
    growth = (high / low) ** (1 / (STEPS - 1))

    w = Tensor(np.zeros(FEATURES), requires_grad=True)
    optimizer = SGD([w], lr=low)
    schedule = lr_scheduler.LambdaLR(optimizer, lambda k: growth**k)
    lrs, losses = [], []
    picks = rng.integers(n, size=(STEPS, BATCH))
    for pick in picks:
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        residual = x[pick] @ w.data - y[pick]
        losses.append(float(np.mean((x @ w.data - y) ** 2)))
        w.grad = 2 * x[pick].T @ residual / BATCH
        optimizer.step()
        schedule.step()
    losses_arr, lrs_arr = np.array(losses), np.array(lrs)
    hand = np.zeros(FEATURES)
    for k, pick in enumerate(picks[:60]):  # by hand, while the run is still finite
        hand = hand - low * growth**k * 2 * x[pick].T @ (x[pick] @ hand - y[pick]) / BATCH
    hand_loss = float(np.mean((x @ hand - y) ** 2))
    best = int(np.argmin(losses_arr))
    above = np.nonzero((losses_arr > 4 * losses_arr[0]) & (np.arange(STEPS) > best))[0]
    blowup = int(above[0]) if above.size else STEPS - 1
    checks = [
        Check.at_most(
            "LambdaLR sets lr = base_lr · lr_lambda(k) at every step (relative error)",
            relative_error(lrs_arr, low * growth ** np.arange(STEPS)),
            1e-12,
        ),
        Check.at_most(
            "the engine's SGD matches w ← w − η_k ĝ_k by hand (relative error of the loss "
            "after 60 steps)",
            abs(losses_arr[60] / hand_loss - 1),
            1e-10,
        ),
        Check.at_most(
            "the loss falls by a factor of at least 10 before it blows up (min loss / first)",
            float(losses_arr[best] / losses_arr[0]),
            0.1,
        ),
        Check.between(
            "the blow-up (loss above 4× its start) comes just past 2/λ_max: its lr over the limit",
            lrs_arr[blowup] / limit,
            1.0,
            4.0,
        ),
        Check.between(
            "the lowest loss comes near the limit, not far below it: that step's lr over 2/λ_max",
            lrs_arr[best] / limit,
            0.25,
            2.5,
        ),
    ]
    charts = [
        Chart(
            "Loss against learning rate (one minibatch per lr)",
            "learning rate",
            "training MSE",
            [
                Series("range test", [float(v) for v in lrs_arr], [float(v) for v in losses_arr]),
                Series(
                    "2/λ_max", [limit, limit], [float(losses_arr.min()), float(losses_arr.max())]
                ),
            ],
            log_x=True,
            log_y=True,
        )
    ]
    steps = [
        Step("λ_max of the Hessian 2XᵀX/N, and 2/λ_max", np.array([2 / limit, limit])),
        Step("lr range", np.array([low, high]), r"\eta_k = \eta_0\, r^k"),
        Step(
            "lr at the lowest loss, and at the blow-up", np.array([lrs_arr[best], lrs_arr[blowup]])
        ),
        Step("suggested base lr (a tenth of the blow-up lr)", lrs_arr[blowup] / 10),
    ]
    return Demo(
        name="lr_range_test",
        title="The learning-rate range test",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"The loss was lowest at lr {lrs_arr[best]:.3g} and blew up at {lrs_arr[blowup]:.3g}, "
            f"{lrs_arr[blowup] / limit:.2f}× the stability limit 2/λ_max = {limit:.3g}."
        ),
    )
