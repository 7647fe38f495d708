"""Card 9: identity + MSE, sigmoid + binary cross-entropy and softmax + cross-entropy all give
the logits a gradient proportional to prediction − target (2(z − y)/n for MSE, (p − y)/n for the
two cross-entropies); the activation is chosen with the loss."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.activations._common import relative_difference, stable_sigmoid
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks
from app.demos.registry import register
from app.engine import Tensor, cross_entropy, mse_loss, softplus


class OutputActivationsParams(DemoParams):
    batch: int = Field(default=3, ge=1, le=8, description="Examples.")
    outputs: int = Field(default=3, ge=2, le=6, description="Outputs (targets, labels or classes).")


def bce_with_logits(z: Tensor, y: np.ndarray) -> Tensor:
    """mean(softplus(z) − y z) = mean of −[y log σ(z) + (1 − y) log(1 − σ(z))], never log(0)."""
    return (softplus(z, threshold=float("inf")) - z * Tensor(y)).mean()


def grad_of(loss: Callable[[Tensor], Tensor], z_data: np.ndarray) -> np.ndarray:
    """∂loss/∂z by the engine."""
    z = Tensor(z_data, requires_grad=True)
    loss(z).backward()
    assert z.grad is not None
    return np.asarray(z.grad)


@register(
    "output_activations",
    "Output activation and loss, chosen together",
    OutputActivationsParams,
    rules=("mse_loss.vjp", "softplus.vjp", "mean.vjp", "log_softmax.vjp"),
)
def output_activations(params: OutputActivationsParams) -> Demo:
    """Run the demo: output activation and loss, chosen together."""
    rng = params.rng()
    B, K = params.batch, params.outputs
    z = np.round(rng.normal(0, 1.5, (B, K)), 2)
    y_reg = np.round(rng.normal(0, 1, (B, K)), 2)
    y_bin = rng.integers(0, 2, (B, K)).astype(np.float64)  # multi-label: any subset
    labels = rng.integers(0, K, B)
    onehot = np.eye(K)[labels]
    p_sig = stable_sigmoid(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p_soft = e / e.sum(axis=1, keepdims=True)

    g_reg = grad_of(lambda t: mse_loss(t, y_reg), z)
    g_bin = grad_of(lambda t: bce_with_logits(t, y_bin), z)
    g_cls = grad_of(lambda t: cross_entropy(t, labels), z)
    checks = [
        Check.at_most(
            "regression, identity + MSE: ∂L/∂z = 2(z − y)/(BK) (relative)",
            relative_difference(g_reg, 2 * (z - y_reg) / z.size),
            1e-12,
        ),
        Check.at_most(
            "multi-label, sigmoid + BCE: ∂L/∂z = (σ(z) − y)/(BK) (relative)",
            relative_difference(g_bin, (p_sig - y_bin) / z.size),
            1e-12,
        ),
        Check.at_most(
            "one class of K, softmax + cross-entropy: ∂L/∂z = (softmax(z) − onehot)/B (relative)",
            relative_difference(g_cls, (p_soft - onehot) / B),
            1e-12,
        ),
        Check.at_most(
            "softmax rows sum to 1 (largest |row sum − 1|)",
            float(np.abs(p_soft.sum(axis=1) - 1).max()),
            1e-12,
        ),
    ]
    checks += finite_difference_checks(lambda t: bce_with_logits(t, y_bin) * 10, [z], ["∂BCE/∂z"])
    steps = [
        Step("z (logits)", z, r"z \in \mathbb{R}^{B\times K}"),
        Step("σ(z): independent probabilities", p_sig, note="rows need not sum to 1"),
        Step("softmax(z): one distribution per row", p_soft, note="rows sum to 1"),
        Step("∂L/∂z, identity + MSE", g_reg, r"\tfrac{2}{BK}(z - y)"),
        Step("∂L/∂z, sigmoid + BCE", g_bin, r"\tfrac{1}{BK}(\sigma(z) - y)"),
        Step("∂L/∂z, softmax + CE", g_cls, r"\tfrac{1}{B}(\mathrm{softmax}(z) - Y)"),
    ]
    return Demo(
        name="output_activations",
        title="Output activation and loss, chosen together",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            "Each matched pair hands the logits prediction − target, over n (and times 2 for "
            "MSE): the "
            "activation's derivative cancels against the loss's, so no saturated output stalls "
            "learning."
        ),
    )
