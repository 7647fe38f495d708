"""Card 8: in a gated unit h = value ⊙ gate, each branch's gradient is scaled by the other;
SwiGLU's gate branch also carries silu′, and a closed gate blocks the value branch's gradient."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.activations._common import relative_difference, stable_sigmoid
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks
from app.demos.registry import register
from app.engine import SwiGLU, Tensor, linear, sigmoid, silu


class SwigluGateParams(DemoParams):
    features: int = Field(default=3, ge=2, le=6, description="Input and output width d.")
    hidden: int = Field(default=4, ge=2, le=8, description="Hidden width of the gated layer.")
    batch: int = Field(default=2, ge=1, le=4, description="Examples.")


@register(
    "swiglu_gate",
    "Gated units: GLU and SwiGLU gradients",
    SwigluGateParams,
    rules=("silu.vjp", "sigmoid.vjp", "mul.vjp", "linear.vjp"),
)
def swiglu_gate(params: SwigluGateParams) -> Demo:
    """Run the demo: gated units: GLU and SwiGLU gradients."""
    rng = params.rng()
    d, m, n = params.features, params.hidden, params.batch
    block = SwiGLU(d, m, seed=rng)
    assert block.b1 is not None and block.b3 is not None and block.b2 is not None
    b1 = block.b1.data.copy()
    b1[0] = -40.0  # unit 0's gate is shut: silu(a) ≈ −1.7e−16 for a ≈ −40
    block.b1 = Tensor(b1, requires_grad=True, name="b1")
    x = rng.standard_normal((n, d))
    upstream = rng.standard_normal((n, d))
    block(Tensor(x)).backward(gradient=upstream)
    w1, w3, w2 = (block.w1.data, block.w3.data, block.w2.data)

    a = x @ w1.T + b1  # gate pre-activation
    v = x @ w3.T + block.b3.data  # value branch
    s = stable_sigmoid(a)
    gate, gate_slope = a * s, s * (1 + a * (1 - s))
    g_h = upstream @ w2  # ∂L/∂h, h = silu(a) ⊙ v
    d_value = g_h * gate
    d_gate_pre = g_h * v * gate_slope
    assert block.w1.grad is not None and block.w3.grad is not None
    assert block.b1.grad is not None and block.b3.grad is not None and block.b2.grad is not None
    # GLU (Dauphin et al.): h = v ⊙ σ(a); the same product rule with σ′ = σ(1 − σ).
    at, vt = Tensor(a, requires_grad=True), Tensor(v, requires_grad=True)
    (vt * sigmoid(at)).backward(gradient=g_h)
    assert at.grad is not None and vt.grad is not None

    checks = [
        Check.at_most(
            "SwiGLU: engine's ∂L/∂W3 (value branch) equals (G_h ⊙ silu(a))ᵀ x (relative)",
            relative_difference(block.w3.grad, d_value.T @ x),
            1e-10,
        ),
        Check.at_most(
            "SwiGLU: engine's ∂L/∂W1 (gate branch) equals (G_h ⊙ v ⊙ silu′(a))ᵀ x (relative)",
            relative_difference(block.w1.grad, d_gate_pre.T @ x),
            1e-10,
        ),
        Check.at_most(
            "SwiGLU: engine's ∂L/∂b1, ∂L/∂b3, ∂L/∂b2 are the batch sums of ∂L/∂a, ∂L/∂v, Ȳ "
            "(relative)",
            max(
                relative_difference(block.b1.grad, d_gate_pre.sum(axis=0)),
                relative_difference(block.b3.grad, d_value.sum(axis=0)),
                relative_difference(block.b2.grad, upstream.sum(axis=0)),
            ),
            1e-10,
        ),
        Check.at_most(
            "GLU: engine's ∂L/∂v equals G_h ⊙ σ(a) and ∂L/∂a equals G_h ⊙ v ⊙ σ(a)(1 − σ(a)) "
            "(relative)",
            max(
                relative_difference(vt.grad, g_h * s),
                relative_difference(at.grad, g_h * v * s * (1 - s)),
            ),
            1e-12,
        ),
        Check.at_most(
            "a shut gate (a ≈ −40) blocks the value branch: |∂L/∂W3| of that unit relative to "
            "the largest",
            float(np.abs(block.w3.grad[0]).max() / np.abs(block.w3.grad).max()),
            1e-12,
        ),
    ]
    small = rng.standard_normal((1, d))

    open_b1 = b1.copy()
    open_b1[0] = 0.3  # an open gate for the finite differences
    b3, b2 = block.b3.data, block.b2.data

    def swiglu_of(xt: Tensor, w1t: Tensor, w3t: Tensor) -> Tensor:
        hidden = silu(linear(xt, w1t, Tensor(open_b1))) * linear(xt, w3t, Tensor(b3))
        return (linear(hidden, Tensor(w2), Tensor(b2)) * Tensor(upstream[:1])).sum()

    checks += finite_difference_checks(
        swiglu_of, [small, w1, w3], ["∂L/∂x", "∂L/∂W1 (gate)", "∂L/∂W3 (value)"]
    )
    steps = [
        Step(
            "a = xW1ᵀ + b1 (gate pre-activation)", a, r"a \in \mathbb{R}^{B\times m}", "unit 0 shut"
        ),
        Step("v = xW3ᵀ + b3 (value)", v, r"v \in \mathbb{R}^{B\times m}"),
        Step("G_h = ∂L/∂h", g_h, r"G_h = \bar Y W_2"),
        Step(
            "∂L/∂v = G_h ⊙ silu(a)", d_value, r"\partial L/\partial v = G_h \odot \mathrm{silu}(a)"
        ),
        Step(
            "∂L/∂a = G_h ⊙ v ⊙ silu′(a)",
            d_gate_pre,
            r"\partial L/\partial a = G_h \odot v \odot \mathrm{silu}'(a)",
        ),
        Step(
            "engine's ∂L/∂W3", block.w3.grad, r"\partial L/\partial W_3 \in \mathbb{R}^{m\times d}"
        ),
    ]
    return Demo(
        name="swiglu_gate",
        title="Gated units: GLU and SwiGLU gradients",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            "Each branch's gradient is the upstream gradient times the other branch: the value "
            "branch gets G_h ⊙ silu(a), the gate G_h ⊙ v ⊙ silu′(a). With unit 0's gate shut, "
            "its value weights got no gradient at all."
        ),
    )
