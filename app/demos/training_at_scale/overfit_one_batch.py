"""Card 12: overfit one batch first. A correct model and loop drive the loss on one small batch
to about zero; a pipeline bug (here, labels that no longer match their inputs) keeps it high.

The gradients are checked first (central differences along one direction), then the same MLP is
trained twice on one fixed batch of random labels: as it should be, and with the labels
reshuffled every step, as a data-loader bug does.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import grad_or_nan
from app.engine import MLP, Tensor, cross_entropy, no_grad, optim

LR = 0.05


class OverfitOneBatchParams(DemoParams):
    batch: int = Field(default=8, ge=4, le=12, description="Examples in the one batch.")
    hidden: int = Field(default=32, ge=24, le=48, description="Hidden units.")
    steps: int = Field(default=80, ge=60, le=120, description="Adam steps.")


def train(
    model: MLP, x: np.ndarray, y: np.ndarray, steps: int, rng: np.random.Generator | None
) -> list[float]:
    """Adam on one batch; with rng, the labels are reshuffled every step (the bug)."""
    adam = optim.Adam(model.parameters(), lr=LR)
    curve = []
    for _ in range(steps):
        labels = y if rng is None else rng.permutation(y)
        adam.zero_grad()
        loss = cross_entropy(model(Tensor(x)), labels)
        loss.backward()
        adam.step()
        curve.append(loss.item())
    with no_grad():
        curve.append(cross_entropy(model(Tensor(x)), y).item())  # the loss on the true labels
    return curve


@register(
    "overfit_one_batch",
    "Overfit one batch first",
    OverfitOneBatchParams,
    rules=("linear.vjp", "relu.vjp", "log_softmax.vjp"),
)
def overfit_one_batch(params: OverfitOneBatchParams) -> Demo:
    """Run the demo: a gradient check, then one batch trained correctly and with a bug."""
    rng = params.rng()
    n, classes = params.batch, 4
    x = rng.standard_normal((n, 6))
    y = rng.integers(0, classes, n)
    seed = int(rng.integers(2**31))
    model = MLP([6, params.hidden, classes], seed=seed)
    loss = cross_entropy(model(Tensor(x)), y)
    loss.backward()
    params_list = model.parameters()
    grads = [grad_or_nan(p).copy() for p in params_list]
    directions = [rng.standard_normal(p.shape) for p in params_list]
    originals = [p.data.copy() for p in params_list]

    def at(t: float) -> float:
        for p, o, d in zip(params_list, originals, directions, strict=True):
            p.data = o + t * d
        with no_grad():
            return float(cross_entropy(model(Tensor(x)), y).item())

    h = 1e-5
    numeric = (at(h) - at(-h)) / (2 * h)
    at(0.0)
    analytic = float(sum(np.sum(g * d) for g, d in zip(grads, directions, strict=True)))
    fd_error = abs(analytic - numeric) / max(abs(numeric), 1e-12)
    good = train(MLP([6, params.hidden, classes], seed=seed), x, y, params.steps, None)
    buggy = train(MLP([6, params.hidden, classes], seed=seed), x, y, params.steps, rng)
    chance = float(np.log(classes))
    checks = [
        Check.at_most(
            "backward matches central differences along a random direction", fd_error, 1e-6
        ),
        Check.at_most(f"correct loop: one batch's loss after {params.steps} steps", good[-1], 0.05),
        Check.at_least("…down from where it started (start ÷ end)", good[0] / good[-1], 20.0),
        Check.at_least("labels reshuffled every step: the loss stays high", buggy[-1], 0.3),
    ]
    steps = [
        Step("batch size, classes", np.array([n, classes])),
        Step("log C (a uniform guess)", chance),
        Step("directional derivative: backward", analytic),
        Step("directional derivative: central difference", numeric),
        Step("loss at the start", good[0]),
        Step("loss at the end, correct loop", good[-1]),
        Step("loss at the end, shuffled labels", buggy[-1]),
    ]
    chart = Chart(
        "Loss on one batch",
        "step",
        "cross-entropy",
        [
            Series("correct", list(range(len(good))), good),
            Series("labels shuffled each step", list(range(len(buggy))), buggy),
        ],
        y_from_zero=True,
    )
    return Demo(
        name="overfit_one_batch",
        title="Overfit one batch first",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"A {params.hidden}-unit MLP memorises {n} random labels: the loss falls from "
            f"{good[0]:.2f} (log C = {chance:.2f}) to {good[-1]:.3f} in {params.steps} steps. "
            f"With the labels reshuffled every step it ends at {buggy[-1]:.2f}: when one batch "
            "cannot be overfit, look for a bug before tuning anything."
        ),
    )
