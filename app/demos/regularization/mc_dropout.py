"""Card 9: MC dropout and ensembles for uncertainty.

Keep dropout on at test time and average T stochastic passes (Gal & Ghahramani, 2016): the
spread of the passes is the uncertainty estimate. Eval mode gives one deterministic pass, the
"weight-scaling" approximation: before a linear layer it is the exact mean of the passes, but
through a nonlinearity it is not. A deep ensemble (Lakshminarayanan et al., 2017) takes the
spread of independently trained models instead; interpolating members agree on the training
inputs and disagree away from them.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import dropout_module
from app.engine import Tensor, linear, relu

HIDDEN = 32
INPUTS = 8
P = 0.25
SIGMAS = 5.0
FEATURES = 60


class McDropoutParams(DemoParams):
    passes: int = Field(default=400, ge=200, le=1000, description="T, stochastic passes.")
    members: int = Field(default=5, ge=3, le=8, description="Ensemble members.")


@register(
    "mc_dropout",
    "MC dropout and ensembles: the spread of stochastic predictions",
    McDropoutParams,
    rules=("dropout.scaling", "dropout.eval_identity"),
)
def mc_dropout(params: McDropoutParams) -> Demo:
    """Run the demo: T dropout passes vs the eval pass, and an ensemble's spread."""
    rng = params.rng()
    t_passes = params.passes
    w1 = rng.standard_normal((HIDDEN, INPUTS)) / math.sqrt(INPUTS)
    w2 = rng.standard_normal((1, HIDDEN)) / math.sqrt(HIDDEN)
    x = rng.standard_normal((1, INPUTS))
    layer = dropout_module.Dropout(P, seed=rng)
    h = relu(linear(Tensor(x), Tensor(w1))).data
    hidden = np.repeat(h, t_passes, axis=0)  # T copies: one pass per row

    # (a) dropout on the hidden layer, then linear: the mean of the passes is the eval output.
    dropped = layer(Tensor(hidden)).data
    passes = linear(Tensor(dropped), Tensor(w2)).data[:, 0]
    kept = dropped != 0
    layer.eval()
    eval_a = linear(layer(Tensor(h)), Tensor(w2)).data[0, 0]
    eval_b = linear(layer(Tensor(h)), Tensor(w2)).data[0, 0]
    layer.train()
    se = float(passes.std(ddof=1)) / math.sqrt(t_passes)
    # (b) dropout on the input, then a ReLU: Jensen makes the mean of the passes larger.
    inputs = np.repeat(x, t_passes, axis=0)
    through = relu(linear(layer(Tensor(inputs)), Tensor(w1))).data  # (T, hidden)
    layer.eval()
    deterministic = relu(linear(layer(Tensor(x)), Tensor(w1))).data[0]
    gap = through.mean(axis=0) - deterministic
    gap_se = through.std(axis=0, ddof=1) / math.sqrt(t_passes)
    pooled = float(gap.sum() / math.sqrt(float((gap_se**2).sum())))

    # (c) an ensemble of random-feature interpolants on 1-D data.
    x_train = np.linspace(-1.0, 1.0, 8)
    y_train = np.sin(3 * x_train)
    grid = np.linspace(-3.0, 3.0, 61)
    outputs = []
    for _ in range(params.members):
        # ReLU ramps relu(a(z − c)) with kinks c spread over the data, so every member can
        # interpolate the 8 points.
        slopes = rng.standard_normal(FEATURES)
        wf = Tensor(np.stack([slopes, -slopes * rng.uniform(-1.2, 1.2, FEATURES)], 1))
        feats = lambda z: relu(linear(Tensor(np.stack([z, np.ones_like(z)], 1)), wf)).data  # noqa: B023,E731
        coef = np.linalg.pinv(feats(x_train)) @ y_train  # the minimum-norm interpolant
        outputs.append((feats(x_train) @ coef, feats(grid) @ coef))
    train_spread = float(np.max(np.std([o[0] for o in outputs], axis=0)))
    far = np.abs(grid) > 2
    far_spread = float(np.mean(np.std([o[1] for o in outputs], axis=0)[far]))

    checks = [
        Check.at_most(
            "a pass keeps hidden units as h/(1 − p) and zeroes the rest (largest error)",
            float(np.max(np.abs(np.where(kept, hidden / (1 - P), 0.0) - dropped))),
            1e-12,
        ),
        Check.at_most(
            "the share of kept units is 1 − p (difference in standard errors)",
            abs(float(kept[hidden != 0].mean()) - (1 - P))
            / math.sqrt(P * (1 - P) / max(int((hidden != 0).sum()), 1)),
            SIGMAS,
        ),
        Check.at_least(
            "in train mode the passes differ (standard deviation of T passes)",
            float(passes.std()),
            1e-6,
        ),
        Check.equal(
            "in eval mode two passes are identical (difference)", float(eval_a - eval_b), 0.0
        ),
        Check.at_most(
            "the eval pass equals the network without dropout (difference)",
            abs(eval_a - float((h @ w2.T)[0, 0])),
            1e-12,
        ),
        Check.at_most(
            "before a linear layer the mean of T passes is the eval output (gap in standard "
            "errors)",
            abs(float(passes.mean()) - eval_a) / se,
            SIGMAS,
        ),
        Check.at_least(
            "through a ReLU the mean of the passes exceeds the eval output (pooled gap in "
            "standard errors)",
            pooled,
            SIGMAS,
        ),
        Check.at_most(
            "the ensemble's interpolants agree on the training inputs (largest spread)",
            train_spread,
            1e-8,
        ),
        Check.at_least("and disagree far from them, |x| > 2 (mean spread)", far_spread, 1e-2),
    ]
    spread = np.std([o[1] for o in outputs], axis=0)
    mean = np.mean([o[1] for o in outputs], axis=0)
    charts = [
        Chart(
            "Ensemble mean and spread",
            "x",
            "prediction",
            [
                Series("mean", [float(v) for v in grid], [float(v) for v in mean]),
                Series("spread (std)", [float(v) for v in grid], [float(v) for v in spread]),
                Series("training data", [float(v) for v in x_train], [float(v) for v in y_train]),
            ],
        )
    ]
    steps = [
        Step("eval-mode output", float(eval_a)),
        Step("mean of T dropout passes", float(passes.mean())),
        Step("std of T dropout passes (the uncertainty)", float(passes.std())),
        Step("ReLU after dropout: mean of passes − eval, per unit", gap),
        Step("ensemble spread on the training inputs", train_spread),
        Step("ensemble spread for |x| > 2", far_spread),
    ]
    return Demo(
        name="mc_dropout",
        title="MC dropout and ensembles: the spread of stochastic predictions",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"{t_passes} dropout passes averaged {passes.mean():.4g} (std {passes.std():.3g}) "
            f"against the eval pass {eval_a:.4g}; through a ReLU the mean sat {pooled:.1f} "
            f"standard errors above it; the ensemble agreed at the data and spread by "
            f"{far_spread:.3g} far from it."
        ),
    )
