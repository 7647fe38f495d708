"""Temperature scaling: divide an overconfident model's logits by one T fitted on held-out NLL.
Accuracy cannot change (argmax is unchanged); NLL and expected calibration error (ECE) drop."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.losses.common import gradient_check, quiet_floats, softmax_rows
from app.demos.registry import register
from app.engine import Tensor
from app.engine import losses as L

BINS = 10


class TemperatureParams(DemoParams):
    n: int = Field(default=1000, ge=500, le=3000, description="Held-out examples.")
    overconfidence: float = Field(
        default=2.5, ge=1.5, le=4.0, description="Factor by which the model's logits are too large."
    )
    classes: int = Field(default=5, ge=3, le=10, description="Classes K.")


def ece(probs: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Σ_b (n_b/n)|accuracy_b − confidence_b| over 10 equal-width confidence bins."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    bins = np.minimum((confidence * BINS).astype(int), BINS - 1)
    total, accs, confs = 0.0, np.full(BINS, np.nan), np.full(BINS, np.nan)
    for b in range(BINS):
        members = bins == b
        if members.any():
            accs[b], confs[b] = correct[members].mean(), confidence[members].mean()
            total += members.mean() * abs(accs[b] - confs[b])
    return total, accs, confs


def nll_and_slope(z: np.ndarray, labels: np.ndarray, beta: float) -> tuple[float, float]:
    """Mean cross-entropy of β·z and its derivative in β (the engine's), β = 1/T."""
    b = Tensor(np.array([beta]), requires_grad=True)
    loss = L.cross_entropy(Tensor(z) * b, labels)
    loss.backward()
    assert b.grad is not None
    return float(loss.item()), float(b.grad[0])


def fit_beta(z: np.ndarray, labels: np.ndarray) -> float:
    """The NLL of β·z is convex in β: bisect on the sign of its derivative."""
    low, high = 0.01, 10.0
    for _ in range(40):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if nll_and_slope(z, labels, mid)[1] < 0 else (low, mid)
    return 0.5 * (low + high)


@register(
    "temperature_scaling",
    "Temperature scaling and expected calibration error",
    TemperatureParams,
    rules=("log_softmax.vjp", "mul.vjp", "getitem.vjp"),
)
@quiet_floats
def temperature_scaling(params: TemperatureParams) -> Demo:
    """Run the demo: fit T on held-out data, then compare accuracy, NLL and ECE."""
    rng = params.rng()
    n, K, factor = params.n, params.classes, params.overconfidence
    true_logits = rng.normal(0.0, 1.5, (n, K))
    true_p = softmax_rows(true_logits)
    labels = (rng.random((n, 1)) > np.cumsum(true_p, axis=1)).sum(axis=1)
    labels = np.minimum(labels, K - 1)
    z = true_logits * factor  # the model: right ranking, far too confident

    beta = fit_beta(z, labels)
    T = 1 / beta
    nll_before, slope_at_1 = nll_and_slope(z, labels, 1.0)
    nll_after, slope_at_fit = nll_and_slope(z, labels, beta)
    p_before, p_after = softmax_rows(z), softmax_rows(z * beta)
    ece_before, acc_b, _ = ece(p_before, labels)
    ece_after, acc_a, _ = ece(p_after, labels)
    # d/dβ mean CE(βz) = mean_i (Σ_k p_ik z_ik − z_{i,y_i}) at β = 1.
    slope_formula = float(np.mean((p_before * z).sum(axis=1) - z[np.arange(n), labels]))
    small = slice(0, 4)
    checks = [
        Check.equal(
            "dividing the logits by T changes no prediction (argmax changes)",
            int(np.sum(p_before.argmax(axis=1) != p_after.argmax(axis=1))),
            0,
        ),
        Check.at_most(
            "engine's dNLL/dβ at β = 1 equals mean(Σ_k p_k z_k − z_y) (relative error)",
            abs(slope_at_1 - slope_formula) / abs(slope_formula),
            1e-10,
        ),
        Check.at_most("the fitted β is a stationary point (|dNLL/dβ|)", abs(slope_at_fit), 1e-6),
        Check.between(
            "the fitted T recovers the overconfidence (T / factor)", T / factor, 0.8, 1.25
        ),
        Check.at_most("NLL drops (after − before)", nll_after - nll_before, 0.0),
        Check.at_most("ECE drops (after / before)", ece_after / ece_before, 0.9),
        gradient_check(
            "analytic ∂NLL/∂(z, β) equals central differences",
            lambda v, b: L.cross_entropy(v * b, labels[small]),
            [z[small], np.array([0.7])],
            ["∂/∂z", "∂/∂β"],
        ),
    ]
    centres = ((np.arange(BINS) + 0.5) / BINS).tolist()
    charts = [
        Chart(
            "Reliability: accuracy per confidence bin",
            "confidence bin centre",
            "accuracy",
            [
                Series("perfect calibration", centres, centres),
                Series("before (T = 1)", centres, np.nan_to_num(acc_b).tolist()),
                Series(f"after (T = {T:.2f})", centres, np.nan_to_num(acc_a).tolist()),
            ],
            y_from_zero=True,
        )
    ]
    steps = [
        Step("fitted temperature T = 1/β", T, r"T^\star = \arg\min_T \mathrm{NLL}(z/T)"),
        Step("NLL before → after", f"{nll_before:.4f} → {nll_after:.4f}"),
        Step(
            "ECE before → after",
            f"{ece_before:.4f} → {ece_after:.4f}",
            r"\sum_b \tfrac{n_b}{n}|\mathrm{acc}_b - \mathrm{conf}_b|",
        ),
        Step(
            "mean confidence before → after",
            f"{p_before.max(axis=1).mean():.3f} → {p_after.max(axis=1).mean():.3f}",
        ),
        Step("accuracy (unchanged)", float(np.mean(p_before.argmax(axis=1) == labels))),
    ]
    return Demo(
        name="temperature_scaling",
        title="Temperature scaling and expected calibration error",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Logits {factor:g}× too large: the fitted T is {T:.2f}; ECE goes from "
            f"{ece_before:.3f} to {ece_after:.3f} and NLL from {nll_before:.3f} to "
            f"{nll_after:.3f}, accuracy unchanged."
        ),
    )
