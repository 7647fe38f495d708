"""Card 14: the He/Xavier gain undoes the activation's shrinkage of the second moment:
E[relu(z)²] = ½ Var z, so gain √2; leaky relu (1 + a²)/2, so √(2/(1 + a²)). A ReLU net scaled
by gain 1 loses exactly half its second moment per layer (ReLU is positively homogeneous)."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.activations._common import relative_difference
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, init, linear, relu

GRID = np.linspace(-12.0, 12.0, 24001)
DENSITY = np.exp(-0.5 * GRID**2) / math.sqrt(2 * math.pi)


class ActivationGainParams(DemoParams):
    depth: int = Field(default=10, ge=6, le=16, description="ReLU layers.")
    width: int = Field(default=64, ge=64, le=128, description="Units per layer.")
    slope: float = Field(default=0.2, ge=0.01, le=0.5, description="leaky_relu's negative slope.")


def second_moment(values: np.ndarray) -> float:
    """E[f(z)²] for z ~ N(0, 1), by the trapezoid rule on a fine grid."""
    return float(np.trapezoid(values**2 * DENSITY, GRID))


def forward_moments(x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """mean(h_ℓ²) after every ReLU layer (no biases)."""
    h, moments = Tensor(x), []
    for w in weights:
        h = relu(linear(h, Tensor(w)))
        moments.append(float(np.mean(h.data**2)))
    return np.array(moments)


@register(
    "activation_gain",
    "The activation's gain in He and Xavier init",
    ActivationGainParams,
    rules=("relu.vjp", "linear.vjp"),
)
def activation_gain(params: ActivationGainParams) -> Demo:
    """Run the demo: the activation's gain in He and Xavier init."""
    rng = params.rng()
    a, n, depth = params.slope, params.width, params.depth
    m_relu = second_moment(np.maximum(GRID, 0))
    m_leaky = second_moment(np.where(GRID > 0, GRID, a * GRID))
    m_tanh = second_moment(np.tanh(GRID))
    base = [rng.standard_normal((n, n)) / math.sqrt(n) for _ in range(depth)]  # gain 1
    he = [w * math.sqrt(2.0) for w in base]  # gain √2 = calculate_gain('relu')
    x = rng.standard_normal((32, n))
    start = float(np.mean(x**2))
    m_he = forward_moments(x, he) / start
    m_one = forward_moments(x, base) / start
    per_layer = float(m_he[-1]) ** (1 / depth)

    # Backward through the He net, L = ½ Σ h_L², by the engine and by hand (masks from forward).
    xt = Tensor(x, requires_grad=True)
    h, hs = xt, [x]
    for w in he:
        h = relu(linear(h, Tensor(w)))
        hs.append(h.data)
    (h * h * 0.5).sum().backward()
    assert xt.grad is not None
    grad = hs[-1]
    for w, out in zip(reversed(he), reversed(hs[1:]), strict=True):
        grad = (grad * (out > 0)) @ w
    backward_check = Check.at_most(
        f"He net: the engine's ∂L/∂x through {depth} ReLU layers equals Π (G ⊙ [z > 0]) W "
        "by hand (relative)",
        relative_difference(xt.grad, grad),
        1e-10,
    )
    checks = [
        Check.at_most(
            "E[relu(z)²] = 1/2 for z ~ N(0, 1) (|measured − 0.5|)", abs(m_relu - 0.5), 1e-9
        ),
        Check.at_most(
            "so relu's gain 1/√E[relu(z)²] is calculate_gain('relu') = √2 (difference)",
            abs(1 / math.sqrt(m_relu) - init.calculate_gain("relu")),
            1e-8,
        ),
        Check.at_most(
            f"leaky relu (a = {a:g}): 1/√E[f(z)²] is calculate_gain('leaky_relu', a) = "
            "√(2/(1 + a²)) (difference)",
            abs(1 / math.sqrt(m_leaky) - init.calculate_gain("leaky_relu", a)),
            1e-8,
        ),
        Check.at_most(
            "positively homogeneous: the gain-1 net's moments are the He net's times 2^(−ℓ) "
            "(relative, every layer)",
            float(np.max(np.abs(m_one / (m_he * 0.5 ** np.arange(1, depth + 1)) - 1))),
            1e-9,
        ),
        Check.between(
            f"He init (gain √2): the second moment's change per layer over {depth} layers "
            "(geometric mean of mean(h_ℓ²)/mean(h_ℓ−1²)) stays near 1",
            per_layer,
            0.75,
            1.33,
        ),
        backward_check,
    ]
    layers: list[float | int] = list(range(1, depth + 1))
    steps = [
        Step(
            "E[relu(z)²], E[leaky(z)²], E[tanh(z)²]", f"{m_relu:.6f}, {m_leaky:.6f}, {m_tanh:.6f}"
        ),
        Step(
            "gain from the moment vs PyTorch's table: tanh",
            f"1/√E[tanh²] = {1 / math.sqrt(m_tanh):.4f}; calculate_gain('tanh') = "
            f"{init.calculate_gain('tanh'):.4f}",
            note="PyTorch's 5/3 for tanh is a rule of thumb, not this moment",
        ),
        Step("He net: mean(h_ℓ²)/mean(x²)", m_he),
        Step("gain-1 net: mean(h_ℓ²)/mean(x²)", m_one),
    ]
    charts = [
        Chart(
            "Second moment through depth",
            "layer ℓ",
            "mean(h²)/mean(x²)",
            [
                Series("He (gain √2)", layers, m_he.tolist()),
                Series("gain 1", layers, m_one.tolist()),
            ],
            log_y=True,
        )
    ]
    return Demo(
        name="activation_gain",
        title="The activation's gain in He and Xavier init",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"ReLU keeps E[relu(z)²] = {m_relu:.4f} of a unit Gaussian's second moment, so He's √2 "
            f"restores it: after {depth} layers the He net is at {m_he[-1]:.3g}× the input's, the "
            f"gain-1 net at {m_one[-1]:.2e}×."
        ),
    )
