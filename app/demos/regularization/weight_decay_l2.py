"""Card 2: weight decay equals an L2 penalty for SGD, not for Adam.

PyTorch's weight_decay=λ in SGD and Adam adds λθ to the gradient: the gradient of (λ/2)‖θ‖².
For SGD (with or without momentum) that is exactly "shrink θ by (1 − ηλ), then step", so the
two names mean one update. For Adam the λθ joins g before the division by √v̂, so coupled L2
is not decay by a fixed factor; AdamW decays θ itself, outside the moments, and the two
trajectories part.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import mse_gradient, relative_error
from app.engine import SGD, Adam, AdamW, Tensor, linear, mse_loss

LR_SGD, LR_ADAM = 0.05, 0.01
BETAS, EPS = (0.9, 0.999), 1e-8


class WeightDecayParams(DemoParams):
    n: int = Field(default=16, ge=8, le=32, description="Training examples.")
    d: int = Field(default=4, ge=2, le=8, description="Weights.")
    lam: float = Field(default=0.1, ge=0.05, le=0.5, description="λ, the decay coefficient.")
    steps: int = Field(default=20, ge=10, le=50, description="Optimiser steps.")


def run(
    x: np.ndarray, y: np.ndarray, w0: np.ndarray, steps: int, make: Any, l2: float
) -> list[np.ndarray]:
    """Train with optimiser `make([w])` on MSE + (l2/2)‖w‖² (the penalty through autograd)."""
    w = Tensor(w0.copy()[None, :], requires_grad=True)
    optimizer = make([w])
    trajectory = [w.data[0].copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss = mse_loss(linear(Tensor(x), w), y[:, None])
        if l2:
            loss = loss + (w * w).sum() * (l2 / 2)
        loss.backward()
        optimizer.step()
        trajectory.append(w.data[0].copy())
    return trajectory


def numpy_adam(
    x: np.ndarray, y: np.ndarray, w0: np.ndarray, steps: int, lam: float, decoupled: bool
) -> list[np.ndarray]:
    """Adam written out, with λθ in g (coupled L2) or θ ← θ(1 − γλ) first (AdamW)."""
    w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    out = [w.copy()]
    for t in range(1, steps + 1):
        g = mse_gradient(x, y, w)
        if decoupled:
            w = w * (1 - LR_ADAM * lam)
        else:
            g = g + lam * w
        m = BETAS[0] * m + (1 - BETAS[0]) * g
        v = BETAS[1] * v + (1 - BETAS[1]) * g * g
        m_hat, v_hat = m / (1 - BETAS[0] ** t), v / (1 - BETAS[1] ** t)
        w = w - LR_ADAM * m_hat / (np.sqrt(v_hat) + EPS)
        out.append(w.copy())
    return out


def gap(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(relative_error(u, v) for u, v in zip(a, b, strict=True))


@register(
    "weight_decay_l2",
    "Weight decay and L2: one update for SGD, two for Adam",
    WeightDecayParams,
    rules=("optim.weight_decay_l2", "optim.decoupled_decay"),
)
def weight_decay_l2(params: WeightDecayParams) -> Demo:
    """Run the demo: SGD and Adam with weight_decay against an explicit L2 penalty, and AdamW."""
    rng = params.rng()
    lam, steps = params.lam, params.steps
    x = rng.standard_normal((params.n, params.d))
    y = x @ rng.standard_normal(params.d) + 0.3 * rng.standard_normal(params.n)
    w0 = rng.standard_normal(params.d)

    sgd_decay = run(x, y, w0, steps, lambda p: SGD(p, lr=LR_SGD, weight_decay=lam), 0.0)
    sgd_penalty = run(x, y, w0, steps, lambda p: SGD(p, lr=LR_SGD), lam)
    momentum_decay = run(
        x, y, w0, steps, lambda p: SGD(p, lr=LR_SGD, momentum=0.9, weight_decay=lam), 0.0
    )
    momentum_penalty = run(x, y, w0, steps, lambda p: SGD(p, lr=LR_SGD, momentum=0.9), lam)
    shrink_then_step = [w0.copy()]
    for _ in range(steps):
        w = shrink_then_step[-1]
        shrink_then_step.append((1 - LR_SGD * lam) * w - LR_SGD * mse_gradient(x, y, w))

    adam_decay = run(x, y, w0, steps, lambda p: Adam(p, lr=LR_ADAM, weight_decay=lam), 0.0)
    adam_penalty = run(x, y, w0, steps, lambda p: Adam(p, lr=LR_ADAM), lam)
    adamw = run(x, y, w0, steps, lambda p: AdamW(p, lr=LR_ADAM, weight_decay=lam), 0.0)
    adamw_gap = gap(adamw, adam_decay)

    checks = [
        Check.at_most(
            "SGD(weight_decay=λ) follows SGD on loss + (λ/2)‖w‖² (largest relative gap)",
            gap(sgd_decay, sgd_penalty),
            1e-12,
        ),
        Check.at_most(
            "with momentum 0.9 the two still coincide (largest relative gap)",
            gap(momentum_decay, momentum_penalty),
            1e-12,
        ),
        Check.at_most(
            "and both equal 'shrink w by (1 − ηλ), then take the plain step' (largest gap)",
            gap(sgd_decay, shrink_then_step),
            1e-12,
        ),
        Check.at_most(
            "Adam(weight_decay=λ) is coupled L2: it follows Adam on loss + (λ/2)‖w‖² (gap)",
            gap(adam_decay, adam_penalty),
            1e-12,
        ),
        Check.at_most(
            "Adam(weight_decay=λ) equals Adam written out with λθ inside g (largest gap)",
            gap(adam_decay, numpy_adam(x, y, w0, steps, lam, decoupled=False)),
            1e-10,
        ),
        Check.at_most(
            "AdamW equals θ ← θ(1 − γλ) before an Adam step on the raw gradient (largest gap)",
            gap(adamw, numpy_adam(x, y, w0, steps, lam, decoupled=True)),
            1e-10,
        ),
        Check.at_least(
            "AdamW's decoupled decay and Adam's L2 give different weights (largest relative gap)",
            adamw_gap,
            1e-3,
        ),
    ]
    t: list[float | int] = list(range(steps + 1))
    norms = lambda tr: [float(np.linalg.norm(w)) for w in tr]  # noqa: E731
    charts = [
        Chart(
            "‖w‖ during training",
            "step",
            "‖w‖",
            [
                Series("SGD weight_decay = SGD + L2", t, norms(sgd_decay)),
                Series("Adam weight_decay (L2)", t, norms(adam_decay)),
                Series("AdamW (decoupled)", t, norms(adamw)),
            ],
            y_from_zero=True,
        )
    ]
    steps_shown = [
        Step("w₀", w0),
        Step(
            "SGD, weight_decay=λ, final w", sgd_decay[-1], r"w \leftarrow w - \eta(g + \lambda w)"
        ),
        Step("SGD on loss + (λ/2)‖w‖², final w", sgd_penalty[-1]),
        Step("Adam, weight_decay=λ, final w", adam_decay[-1], r"g \leftarrow g + \lambda w"),
        Step(
            "AdamW, final w",
            adamw[-1],
            r"w \leftarrow w(1-\gamma\lambda) - \gamma\,\hat m/(\sqrt{\hat v}+\epsilon)",
        ),
        Step("AdamW vs Adam L2: largest relative gap", adamw_gap),
    ]
    return Demo(
        name="weight_decay_l2",
        title="Weight decay and L2: one update for SGD, two for Adam",
        params=params.model_dump(),
        steps=steps_shown,
        checks=checks,
        charts=charts,
        summary=(
            f"With λ = {lam:g}, SGD's weight_decay and an explicit (λ/2)‖w‖² penalty gave the same "
            f"weights to rounding, with or without momentum; Adam's weight_decay matched the "
            f"penalty too, while AdamW ended {adamw_gap:.2%} away (relative) after {steps} steps."
            if math.isfinite(adamw_gap)
            else "The runs diverged."
        ),
    )
