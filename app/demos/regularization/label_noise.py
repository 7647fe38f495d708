"""Card 8: a model with more parameters than examples memorises random labels.

Random ReLU features (p = 4n) and a linear read-out trained by gradient descent on ±1
targets. With the true labels it reaches 100% training accuracy and generalises; with the
labels shuffled it still reaches 100% training accuracy (capacity is not the limit), but its
test accuracy is chance, and it needs more steps to get there: fitting noise is slower than
fitting structure (Zhang et al., 2017; Arpit et al., 2017).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.regularization.common import engine_gd, numpy_gd, trajectory_error
from app.engine import Tensor, linear, relu

INPUTS = 10
TEST = 500
WIDTH = 4  # features per training example


class LabelNoiseParams(DemoParams):
    n: int = Field(default=40, ge=30, le=48, description="Training examples.")
    steps: int = Field(default=300, ge=300, le=600, description="Gradient-descent steps.")


def accuracy_curve(
    features: np.ndarray, labels: np.ndarray, weights: list[np.ndarray]
) -> list[float]:
    return [float(np.mean(np.sign(features @ w) == labels)) for w in weights]


@register(
    "label_noise",
    "Memorising shuffled labels: 100% training accuracy, chance on test",
    LabelNoiseParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def label_noise(params: LabelNoiseParams) -> Demo:
    """Run the demo: the same model and steps on true and on shuffled labels."""
    rng = params.rng()
    n, steps = params.n, params.steps
    beta = rng.standard_normal(INPUTS)
    x, x_test = rng.standard_normal((n, INPUTS)), rng.standard_normal((TEST, INPUTS))
    y, y_test = np.sign(x @ beta), np.sign(x_test @ beta)
    shuffled = rng.permutation(y)
    w_features = Tensor(rng.standard_normal((WIDTH * n, INPUTS)) / np.sqrt(INPUTS))
    phi = relu(linear(Tensor(x), w_features)).data
    phi_test = relu(linear(Tensor(x_test), w_features)).data
    # Centred and scaled: the features' common mean would otherwise be one huge curvature
    # direction that dictates a tiny learning rate for all the others.
    centre, scale = phi.mean(axis=0), float(np.std(phi))
    phi, phi_test = (phi - centre) / scale, (phi_test - centre) / scale
    lr = 0.9 / float(np.linalg.eigvalsh(2.0 / n * phi @ phi.T).max())

    true_run, true_loss = engine_gd(phi, y, np.zeros(WIDTH * n), lr, steps)
    noise_run, noise_loss = engine_gd(phi, shuffled, np.zeros(WIDTH * n), lr, steps)
    reference = numpy_gd(phi, shuffled, np.zeros(WIDTH * n), lr, steps)
    train_true = accuracy_curve(phi, y, true_run)
    train_noise = accuracy_curve(phi, shuffled, noise_run)
    test_true = float(np.mean(np.sign(phi_test @ true_run[-1]) == y_test))
    test_noise = float(np.mean(np.sign(phi_test @ noise_run[-1]) == y_test))
    fit_true = next((t for t, a in enumerate(train_true) if a == 1.0), steps + 1)
    fit_noise = next((t for t, a in enumerate(train_noise) if a == 1.0), steps + 1)

    checks = [
        Check.at_most(
            "the engine's descent equals the written-out update (largest relative gap)",
            trajectory_error(noise_run, reference),
            1e-9,
        ),
        Check.equal(
            "with the true labels, training accuracy reaches 100% (accuracy)", train_true[-1], 1.0
        ),
        Check.equal(
            "with shuffled labels, training accuracy also reaches 100% (accuracy)",
            train_noise[-1],
            1.0,
        ),
        Check.at_least("the true-label model generalises (test accuracy)", test_true, 0.6),
        Check.between(
            "the shuffled-label model is near chance on test data (test accuracy)",
            test_noise,
            0.25,
            0.75,
        ),
        Check.at_most(
            "structure is fitted faster than noise (training loss after 20 steps, true / "
            "shuffled labels)",
            true_loss[20] / noise_loss[20],
            0.8,
        ),
    ]
    t: list[float | int] = list(range(steps + 1))
    charts = [
        Chart(
            "Training accuracy",
            "step",
            "accuracy",
            [Series("true labels", t, train_true), Series("shuffled labels", t, train_noise)],
            y_from_zero=True,
        )
    ]
    shown = [
        Step("features p", WIDTH * n, f"{WIDTH}n random ReLU features"),
        Step("steps to 100% training accuracy, true labels", fit_true),
        Step("steps to 100% training accuracy, shuffled labels", fit_noise),
        Step("test accuracy, true labels", test_true),
        Step("test accuracy, shuffled labels", test_noise),
    ]
    return Demo(
        name="label_noise",
        title="Memorising shuffled labels: 100% training accuracy, chance on test",
        params=params.model_dump(),
        steps=shown,
        checks=checks,
        charts=charts,
        summary=(
            f"The same {WIDTH * n}-feature model fitted the true labels in {fit_true} steps "
            f"(test accuracy {test_true:.0%}) and the shuffled ones in {fit_noise} steps, with "
            f"100% training accuracy and {test_noise:.0%} on test, near chance."
        ),
    )
