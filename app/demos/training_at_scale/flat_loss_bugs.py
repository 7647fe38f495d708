"""Card 13: three bugs behind a loss that will not go down, each reproduced.

A two-layer regression net trained with plain SGD: (a) correctly; (b) without zero_grad, so
each .grad is the sum of every gradient so far: the steps keep pushing in old directions, like
momentum that never decays, and the loss oscillates; (c) with the sign of the update flipped
(gradient ascent), so the loss rises; (d)
with the hidden activations detached, so the first layer never gets a gradient and only the
last layer learns: the loss stalls at what a linear fit on frozen random features reaches.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import grad_or_nan, relative_error
from app.engine import Linear, Tensor, mse_loss

VARIANTS = ("correct", "no zero_grad", "wrong sign", "detached")


class FlatLossBugsParams(DemoParams):
    steps: int = Field(default=40, ge=20, le=60, description="SGD steps.")
    lr: float = Field(default=0.05, ge=0.02, le=0.08, description="Learning rate.")
    batch: int = Field(default=16, ge=8, le=32, description="Examples.")


def run(
    variant: str, x: np.ndarray, y: np.ndarray, seed: int, steps: int, lr: float
) -> tuple[list[float], list[Linear]]:
    """Train one variant; returns the loss curve and the layers."""
    layers = [
        Linear(x.shape[1], 8, init="xavier", seed=seed),
        Linear(8, 1, init="xavier", seed=seed + 1),
    ]
    params = [p for layer in layers for p in layer.parameters()]
    curve = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            if variant != "no zero_grad":
                for p in params:
                    p.grad = None
            hidden = layers[0](Tensor(x)).tanh()
            if variant == "detached":
                hidden = hidden.detach()
            loss = mse_loss(layers[1](hidden), y)
            curve.append(float(loss.item()))
            loss.backward()
            for p in params:
                if p.grad is not None:
                    step = lr * p.grad
                    p.data = p.data + step if variant == "wrong sign" else p.data - step
    return curve, layers


@register(
    "flat_loss_bugs",
    "A flat loss: missing zero_grad, wrong sign, detached tensor",
    FlatLossBugsParams,
    rules=("autograd.accumulate",),
)
def flat_loss_bugs(params: FlatLossBugsParams) -> Demo:
    """Run the demo: the same training four ways, three of them broken."""
    rng = params.rng()
    x = rng.standard_normal((params.batch, 4))
    y = np.tanh(x @ rng.standard_normal((4, 1))) + 0.1 * rng.standard_normal((params.batch, 1))
    seed = int(rng.integers(2**30))
    curves, models = {}, {}
    for variant in VARIANTS:
        curves[variant], models[variant] = run(variant, x, y, seed, params.steps, params.lr)
    start = curves["correct"][0]
    probe = Linear(4, 1, seed=seed)
    grads = []
    for _ in range(2):  # two backward passes, no zero_grad in between
        mse_loss(probe(Tensor(x)), y).backward()
        grads.append(grad_or_nan(probe.weight).copy())
    first_layer = models["detached"][0]
    fresh = Linear(4, 8, init="xavier", seed=seed)
    ends = {v: curves[v][-1] for v in VARIANTS}
    checks = [
        Check.at_most("correct: the loss falls (end ÷ start)", ends["correct"] / start, 0.5),
        Check.at_most(
            "no zero_grad: .grad after two backwards is twice one gradient (relative)",
            relative_error(grads[1], 2 * grads[0]),
            1e-12,
        ),
        Check.at_least(
            "…so stale gradients keep pushing and the loss oscillates (steps where it rose)",
            float(np.sum(np.diff(curves["no zero_grad"]) > 0)),
            2,
        ),
        Check.at_least("wrong sign: the loss rises (end ÷ start)", ends["wrong sign"] / start, 1.0),
        Check.equal(
            "detached: the first layer gets no gradient and never moves (max |ΔW₁|)",
            float(np.max(np.abs(first_layer.weight.data - fresh.weight.data)))
            + (0.0 if first_layer.weight.grad is None else 1.0),
            0.0,
        ),
        Check.at_least(
            "…so it ends above the correct run (ratio)", ends["detached"] / ends["correct"], 1.05
        ),
    ]
    steps = [
        Step("loss at the start", start),
        *(Step(f"loss at the end: {v}", ends[v]) for v in VARIANTS),
        Step(
            "‖.grad‖ after 1 and 2 backwards without zero_grad",
            np.array([np.linalg.norm(g) for g in grads]),
        ),
    ]
    finite = {v: [c if np.isfinite(c) else 1e6 for c in curves[v]] for v in VARIANTS}
    chart = Chart(
        "Training loss, four ways",
        "step",
        "mse (log scale)",
        [Series(v, list(range(params.steps)), [min(c, 1e6) for c in finite[v]]) for v in VARIANTS],
        log_y=True,
    )
    return Demo(
        name="flat_loss_bugs",
        title="A flat loss: missing zero_grad, wrong sign, detached tensor",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"From {start:.3f}, {params.steps} SGD steps reach {ends['correct']:.3f}. Without "
            f"zero_grad the gradients pile up and the loss oscillates (it ends at "
            f"{ends['no zero_grad']:.3g}); with the sign flipped "
            f"the loss climbs to {ends['wrong sign']:.3g}; with the hidden layer detached only "
            f"the last layer learns ({ends['detached']:.3f})."
        ),
    )
