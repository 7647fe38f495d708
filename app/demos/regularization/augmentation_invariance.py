"""Card 7: data augmentation as an invariance prior.

Signals x ∈ ℝᵈ whose label does not change under a horizontal flip (y depends on x only
through flip-symmetric features). A linear model trained from w = 0 on the data plus every
flipped copy has a gradient that is itself flip-symmetric, so w stays exactly symmetric and
the model is exactly invariant: the augmentation wrote the prior into the weights. Trained on
the raw data alone (fewer examples than weights), w is not symmetric and generalises worse.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import engine_gd, numpy_gd, trajectory_error

NOISE = 0.1
TEST = 200


class AugmentationParams(DemoParams):
    d: int = Field(default=16, ge=12, le=24, description="Length of each signal.")
    n: int = Field(default=4, ge=2, le=6, description="Training signals (at most d/2).")
    steps: int = Field(default=300, ge=200, le=600, description="Gradient-descent steps.")


def flip(x: np.ndarray) -> np.ndarray:
    """Reverse each signal: the augmentation, and the symmetry the label respects."""
    return np.asarray(x[..., ::-1])


@register(
    "augmentation_invariance",
    "Flip augmentation makes a linear model exactly flip-invariant",
    AugmentationParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def augmentation_invariance(params: AugmentationParams) -> Demo:
    """Run the demo: train with and without flipped copies, measure symmetry and test error."""
    rng = params.rng()
    d, n = params.d, params.n
    w_true = rng.standard_normal(d)
    w_true = (w_true + flip(w_true)) / 2  # the label is flip-invariant
    x = rng.standard_normal((n, d))
    y = x @ w_true + NOISE * rng.standard_normal(n)
    x_aug, y_aug = np.concatenate([x, flip(x)]), np.concatenate([y, y])
    x_test = rng.standard_normal((TEST, d))

    curvature = float(np.linalg.eigvalsh(2.0 / len(y_aug) * x_aug.T @ x_aug).max())
    lr = 0.5 / curvature
    plain, _ = engine_gd(x, y, np.zeros(d), lr, params.steps, every=10)
    augmented, _ = engine_gd(x_aug, y_aug, np.zeros(d), lr, params.steps, every=10)
    reference = numpy_gd(x_aug, y_aug, np.zeros(d), lr, params.steps, every=10)

    def asymmetry(w: np.ndarray) -> float:
        return float(np.linalg.norm(w - flip(w))) / max(float(np.linalg.norm(w)), 1e-300)

    w_plain, w_aug = plain[-1], augmented[-1]
    test_error = lambda w: float(np.mean((x_test @ w - x_test @ w_true) ** 2))  # noqa: E731
    invariance_gap = float(np.max(np.abs(x_test @ w_aug - flip(x_test) @ w_aug)))
    checks = [
        Check.at_most(
            "the engine's descent on the augmented set equals the written-out update "
            "(largest relative gap)",
            trajectory_error(augmented, reference),
            1e-10,
        ),
        Check.at_most(
            "with flipped copies, w stays flip-symmetric at every step (largest ‖w − flip w‖/‖w‖)",
            max(asymmetry(w) for w in augmented[1:]),
            1e-12,
        ),
        Check.at_most(
            "so the trained model gives a new signal and its flip the same output (largest gap)",
            invariance_gap / max(float(np.max(np.abs(x_test @ w_aug))), 1e-300),
            1e-12,
        ),
        Check.at_least(
            "without augmentation w is not symmetric (‖w − flip w‖/‖w‖)", asymmetry(w_plain), 0.05
        ),
    ]
    charts = [
        Chart(
            "Learned weights by position",
            "position",
            "weight",
            [
                Series("true (symmetric)", list(range(d)), [float(v) for v in w_true]),
                Series("with flips", list(range(d)), [float(v) for v in w_aug]),
                Series("without", list(range(d)), [float(v) for v in w_plain]),
            ],
        )
    ]
    steps = [
        Step("true weights (flip-symmetric)", w_true),
        Step("trained with flipped copies", w_aug, r"w = \operatorname{flip}(w)"),
        Step("trained without", w_plain),
        Step("test error with flips", test_error(w_aug)),
        Step("test error without", test_error(w_plain)),
    ]
    return Demo(
        name="augmentation_invariance",
        title="Flip augmentation makes a linear model exactly flip-invariant",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Trained on {n} signals plus their flips, w stayed symmetric to rounding and the "
            f"model was exactly flip-invariant; without the flips its asymmetry was "
            f"{asymmetry(w_plain):.2f} and its test error {test_error(w_plain):.3g} against "
            f"{test_error(w_aug):.3g}."
        ),
    )
