"""Card 12: Adagrad against RMSprop. Adagrad divides by the root of the running *sum* of g², so
on a constant gradient its step is γ/√t: it only falls. RMSprop divides by the root of an
exponential average, v_t = (1 − αᵗ)g², so its step settles at γ·sign(g) (and, with no bias
correction, its first step is γ/√(1 − α) = 10γ at α = 0.99)."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error, run
from app.demos.registry import register
from app.engine import Adagrad, RMSprop

STEPS = 200
LR = 1e-2


class AdagradRmspropParams(DemoParams):
    alpha: float = Field(default=0.99, ge=0.9, le=0.999, description="RMSprop's α.")
    lr_decay: float = Field(default=0.0, ge=0.0, le=0.1, description="Adagrad's lr_decay η.")


@register(
    "adagrad_rmsprop",
    "Adagrad's shrinking steps against RMSprop's",
    AdagradRmspropParams,
    rules=("optim.adagrad", "optim.rmsprop"),
)
@quiet
def adagrad_rmsprop(params: AdagradRmspropParams) -> Demo:
    """Run the demo: both optimizers on a constant gradient, and on a noisy one."""
    rng = params.rng()
    alpha, decay = params.alpha, params.lr_decay
    g = rng.choice([-1.0, 1.0], size=3) * 10.0 ** rng.uniform(-2, 2, size=3)
    s0 = float(rng.uniform(0.0, 0.5))  # initial_accumulator_value

    def constant(theta: np.ndarray, t: int) -> np.ndarray:
        return g

    ada = run(
        lambda p: Adagrad(p, lr=LR, lr_decay=decay, initial_accumulator_value=s0),
        np.zeros(3),
        constant,
        STEPS,
    )
    rms = run(lambda p: RMSprop(p, lr=LR, alpha=alpha), np.zeros(3), constant, STEPS)
    t = np.arange(1, STEPS + 1)[:, None]
    ada_expected = LR / (1 + (t - 1) * decay) * g / (np.sqrt(s0 + t * g**2) + 1e-10)
    rms_expected = LR * g / (np.sqrt((1 - alpha**t) * g**2) + 1e-8)
    ada_moves, rms_moves = -np.diff(ada, axis=0), -np.diff(rms, axis=0)
    big = int(np.argmax(np.abs(g)))
    ada_tail = float(abs(ada_moves[-1, big]) / LR)
    checks = [
        Check.at_most(
            "Adagrad's step t is γ/(1 + (t − 1)η) · g/(√(s₀ + t g²) + ε) (relative error)",
            relative_error(ada_moves, ada_expected),
            1e-10,
        ),
        Check.at_most(
            "RMSprop's step t is γ g/(√((1 − αᵗ) g²) + ε) (relative error)",
            relative_error(rms_moves, rms_expected),
            1e-10,
        ),
        Check.at_most(
            f"Adagrad's step after {STEPS} steps, in units of γ: at most 1/√t",
            ada_tail * math.sqrt(STEPS),
            1.0 + 1e-6,
        ),
        Check.at_most(
            "RMSprop's first step is γ|g|/(√(1 − α)|g| + ε) ≈ γ/√(1 − α): no bias correction "
            "(relative error)",
            abs(
                abs(rms_moves[0, big])
                / (LR * abs(g[big]) / (math.sqrt(1 - alpha) * abs(g[big]) + 1e-8))
                - 1
            ),
            1e-9,
        ),
        Check.at_least(
            f"RMSprop's step after {STEPS} steps over Adagrad's",
            float(abs(rms_moves[-1, big]) / abs(ada_moves[-1, big])),
            math.sqrt(STEPS) * 0.99,
        ),
    ]
    x: list[float | int] = list(range(1, STEPS + 1))
    charts = [
        Chart(
            "Step size on a constant gradient, in units of γ",
            "step t",
            "|Δθ| / γ",
            [
                Series("Adagrad", x, [float(abs(v)) / LR for v in ada_moves[:, big]]),
                Series(
                    f"RMSprop α = {alpha:g}", x, [float(abs(v)) / LR for v in rms_moves[:, big]]
                ),
                Series("1/√t", x, [1 / math.sqrt(k) for k in x]),
            ],
            log_y=True,
        )
    ]
    steps = [
        Step("constant gradient g", g),
        Step("Adagrad's initial_accumulator_value s₀, lr_decay", np.array([s0, decay])),
        Step(
            "|Δθ|/γ at t = 1, 10, 200 (Adagrad)",
            np.abs(ada_moves[[0, 9, -1], big]) / LR,
            r"\approx 1/\sqrt{t}",
        ),
        Step(
            "|Δθ|/γ at t = 1, 10, 200 (RMSprop)",
            np.abs(rms_moves[[0, 9, -1], big]) / LR,
            r"1/\sqrt{1-\alpha^t}",
        ),
    ]
    return Demo(
        name="adagrad_rmsprop",
        title="Adagrad's shrinking steps against RMSprop's",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"On a constant gradient Adagrad's step fell to {ada_tail:.3g}γ after {STEPS} steps "
            f"(1/√t = {1 / math.sqrt(STEPS):.3g}); RMSprop's started at "
            f"{1 / math.sqrt(1 - alpha):.3g}γ and settles at γ."
        ),
    )
