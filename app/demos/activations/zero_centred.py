"""Card 4: a unit fed by sigmoid outputs (all positive) gets a weight gradient whose entries
all share one sign per example, so its updates zig-zag; tanh outputs have both signs."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.activations._common import relative_difference
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks
from app.demos.registry import register
from app.engine import Tensor, linear, mse_loss


class ZeroCentredParams(DemoParams):
    inputs: int = Field(default=6, ge=3, le=12, description="Inputs of the unit (width of h).")
    batch: int = Field(default=12, ge=8, le=32, description="Examples.")


def per_example_grads(h: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The engine's ∂L_i/∂w for each example alone (one backward per example)."""
    rows = []
    for i in range(h.shape[0]):
        wt = Tensor(w, requires_grad=True)
        mse_loss(linear(Tensor(h[i : i + 1]), wt, Tensor(b)), y[i : i + 1]).backward()
        assert wt.grad is not None
        rows.append(np.asarray(wt.grad)[0])
    return np.array(rows)


def single_signed(grads: np.ndarray) -> np.ndarray:
    """Per example: are all entries of its gradient ≥ 0, or all ≤ 0?"""
    return np.asarray(np.all(grads >= 0, axis=1) | np.all(grads <= 0, axis=1))


@register(
    "zero_centred",
    "Zero-centred activations and zig-zag updates",
    ZeroCentredParams,
    rules=("linear.vjp",),
)
def zero_centred(params: ZeroCentredParams) -> Demo:
    """Run the demo: zero-centred activations and zig-zag updates."""
    rng = params.rng()
    z = rng.normal(0.0, 1.5, (params.batch, params.inputs))  # the previous layer's pre-activations
    y = rng.standard_normal((params.batch, 1))
    w = rng.standard_normal((1, params.inputs)) / np.sqrt(params.inputs)
    b = np.zeros(1)
    results = {}
    for name, h in (("sigmoid", 1 / (1 + np.exp(-z))), ("tanh", np.tanh(z))):
        grads = per_example_grads(h, y, w, b)
        delta = 2 * (h @ w.T + b - y)  # ∂L_i/∂ŷ_i for one example
        results[name] = (h, grads, delta * h)
    sig_h, sig_g, sig_hand = results["sigmoid"]
    tanh_h, tanh_g, tanh_hand = results["tanh"]
    sig_share = float(single_signed(sig_g).mean())
    tanh_share = float(single_signed(tanh_g).mean())
    checks = [
        Check.at_most(
            "engine's per-example ∂L/∂w equals δ_i h_i (sigmoid and tanh inputs, relative)",
            max(relative_difference(sig_g, sig_hand), relative_difference(tanh_g, tanh_hand)),
            1e-12,
        ),
        Check.equal(
            "sigmoid inputs: every example's gradient has one sign across all weights "
            "(share of examples)",
            sig_share,
            1.0,
        ),
        Check.at_most(
            "tanh inputs: that share drops (most examples' gradients mix signs)",
            tanh_share,
            0.9,
        ),
        Check.at_least("sigmoid outputs are all positive (smallest h)", float(sig_h.min()), 0.0),
    ]
    checks += finite_difference_checks(
        lambda wt: mse_loss(linear(Tensor(sig_h), wt, Tensor(b)), y), [w], ["∂L/∂w (sigmoid h)"]
    )
    steps = [
        Step("h = σ(z), first rows", sig_h[:4], r"h = \sigma(z) \in (0, 1)^{B\times n}"),
        Step(
            "per-example ∂L/∂w, sigmoid inputs",
            sig_g[:4],
            r"\partial L_i/\partial w = \delta_i h_i",
        ),
        Step("h = tanh(z), first rows", tanh_h[:4], r"h = \tanh(z) \in (-1, 1)^{B\times n}"),
        Step("per-example ∂L/∂w, tanh inputs", tanh_g[:4]),
        Step("mean of h: sigmoid, tanh", f"{sig_h.mean():.3f}, {tanh_h.mean():.3f}"),
    ]
    return Demo(
        name="zero_centred",
        title="Zero-centred activations and zig-zag updates",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With sigmoid inputs {sig_share:.0%} of the examples give a weight gradient of one "
            f"sign (all weights up or all down); with tanh inputs only {tanh_share:.0%} do."
        ),
    )
