"""The deck's advice: a 2-2-1 network on paper, all nine parameter gradients by hand, checked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import finite_difference_checks, max_abs_difference
from app.demos.registry import register
from app.engine import Tensor, linear, mse_loss

Activation = Literal["sigmoid", "relu"]
EXACT = 1e-12  # the engine and the hand derivation do the same few float operations
NAMES = ("W1", "b1", "W2", "b2")


class TwoLayerByHandParams(DemoParams):
    activation: Activation = Field(default="sigmoid", description="σ of the two hidden units.")


@dataclass(frozen=True)
class Network:
    """One example and the 2-2-1 network's parameters (column vectors: z = Wx + b)."""

    x: np.ndarray  # (2,)
    y: float
    w1: np.ndarray  # (2, 2)
    b1: np.ndarray  # (2,)
    w2: np.ndarray  # (1, 2)
    b2: np.ndarray  # (1,)

    @property
    def arrays(self) -> list[np.ndarray]:
        return [self.w1, self.b1, self.w2, self.b2]


MAX_PRE_ACTIVATION = 2.0  # |z₁| ≤ 2: no saturated sigmoid, numbers workable by hand


def draw(rng: np.random.Generator, activation: Activation) -> Network:
    """Small integers (half-integers for b₁, so no ReLU sits on its kink), redrawn until all
    nine gradients are nonzero (both units active, a nonzero error, no zero input) and both
    hidden units sit in the sigmoid's working range, |z₁| ≤ 2: a saturated unit has σ′ ≈ 0
    and gradients too small to follow by hand."""
    while True:
        net = Network(
            x=rng.integers(-2, 3, size=2).astype(np.float64),
            y=float(rng.integers(-2, 3)),
            w1=rng.integers(-2, 3, size=(2, 2)).astype(np.float64),
            b1=rng.choice([-1.5, -0.5, 0.5, 1.5], size=2),
            w2=rng.integers(-2, 3, size=(1, 2)).astype(np.float64),
            b2=rng.integers(-1, 2, size=1).astype(np.float64),
        )
        if np.max(np.abs(net.w1 @ net.x + net.b1)) > MAX_PRE_ACTIVATION:
            continue
        hand = by_hand(net, activation)
        if all(np.all(hand[name] != 0) for name in NAMES):
            return net


def activate(z: np.ndarray, activation: Activation) -> np.ndarray:
    """σ(z) on paper."""
    return 1 / (1 + np.exp(-z)) if activation == "sigmoid" else np.maximum(z, 0)


def activation_slope(z: np.ndarray, h: np.ndarray, activation: Activation) -> np.ndarray:
    """σ'(z): h(1 − h) for the sigmoid, 1 where z > 0 for ReLU."""
    return h * (1 - h) if activation == "sigmoid" else (z > 0).astype(np.float64)


def by_hand(net: Network, activation: Activation) -> dict[str, np.ndarray]:
    """Every intermediate of the forward and backward pass, with the formulas one writes."""
    z1 = net.w1 @ net.x + net.b1
    h = activate(z1, activation)
    y_hat = net.w2 @ h + net.b2
    loss = 0.5 * float((y_hat[0] - net.y) ** 2)
    delta2 = y_hat - net.y  # ∂L/∂ŷ for L = ½(ŷ − y)²: the ½ cancels the 2
    dh = net.w2.T @ delta2  # ∂L/∂h = W₂ᵀ δ₂
    slope = activation_slope(z1, h, activation)
    delta1 = dh * slope  # ∂L/∂z₁ = (W₂ᵀ δ₂) ⊙ σ'(z₁)
    return {
        "z₁": z1,
        "h": h,
        "ŷ": y_hat,
        "L": np.asarray(loss),
        "δ₂": delta2,
        "∂L/∂h": dh,
        "σ'(z₁)": slope,
        "δ₁": delta1,
        "W1": np.outer(delta1, net.x),  # δ₁ xᵀ
        "b1": delta1,
        "W2": np.outer(delta2, h),  # δ₂ hᵀ
        "b2": delta2,
    }


def engine_loss(x: np.ndarray, y: float, activation: Activation) -> Callable[..., Tensor]:
    """L(W₁, b₁, W₂, b₂) = ½(W₂ σ(W₁x + b₁) + b₂ − y)² on engine tensors (½ · mse)."""

    def loss(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
        # The ops a layer and the training loop use: the fused linear and mse_loss.
        z1 = linear(Tensor(x), w1, b1)
        h = z1.sigmoid() if activation == "sigmoid" else z1.relu()
        return mse_loss(linear(h, w2, b2), np.array([y])) * 0.5

    return loss


def scalar_steps(hand: dict[str, np.ndarray], net: Network) -> list[Step]:
    """The nine parameter gradients one by one, each as the product that gives it."""
    d1, d2, h, x = hand["δ₁"], hand["δ₂"][0], hand["h"], net.x
    steps = []
    for i in range(2):
        for j in range(2):
            steps.append(
                Step(
                    f"∂L/∂W₁[{i},{j}] = δ₁[{i}]·x[{j}]",
                    float(hand["W1"][i, j]),
                    rf"\frac{{\partial L}}{{\partial W_{{1,{i + 1}{j + 1}}}}}"
                    rf" = \delta_{{1,{i + 1}}} x_{j + 1}",
                    f"{d1[i]:.6g} × {x[j]:g}",
                )
            )
    for i in range(2):
        steps.append(
            Step(f"∂L/∂b₁[{i}] = δ₁[{i}]", float(d1[i]), rf"\delta_{{1,{i + 1}}}", f"{d1[i]:.6g}")
        )
    for i in range(2):
        steps.append(
            Step(
                f"∂L/∂W₂[0,{i}] = δ₂·h[{i}]",
                float(hand["W2"][0, i]),
                rf"\frac{{\partial L}}{{\partial W_{{2,1{i + 1}}}}} = \delta_2 h_{i + 1}",
                f"{d2:.6g} × {h[i]:.6g}",
            )
        )
    steps.append(Step("∂L/∂b₂ = δ₂", float(d2), r"\delta_2", f"{d2:.6g}"))
    return steps


@register(
    "two_layer_by_hand",
    "A 2-2-1 network by hand: all nine gradients",
    TwoLayerByHandParams,
    rules=("linear.vjp", "sigmoid.vjp", "mse_loss.vjp"),
)
def two_layer_by_hand(params: TwoLayerByHandParams) -> Demo:
    """Run the demo: a 2-2-1 network by hand: all nine gradients."""
    act = params.activation
    net = draw(params.rng(), act)
    hand = by_hand(net, act)

    loss = engine_loss(net.x, net.y, act)
    leaves = [Tensor(a, requires_grad=True, name=n) for a, n in zip(net.arrays, NAMES, strict=True)]
    value = loss(*leaves)
    value.backward()
    engine = [np.asarray(leaf.grad) for leaf in leaves]

    sigma = r"\sigma" if act == "sigmoid" else r"\operatorname{ReLU}"
    slope_tex = r"h \odot (1 - h)" if act == "sigmoid" else r"\mathbb{1}[z_1 > 0]"
    steps = [
        Step("x", net.x, r"x \in \mathbb{R}^2"),
        Step("y (target)", net.y, r"y"),
        Step("W₁", net.w1, r"W_1 \in \mathbb{R}^{2\times 2}", "2×2: hidden × inputs"),
        Step("b₁", net.b1, r"b_1 \in \mathbb{R}^2"),
        Step("W₂", net.w2, r"W_2 \in \mathbb{R}^{1\times 2}", "1×2: output × hidden"),
        Step("b₂", net.b2, r"b_2 \in \mathbb{R}"),
        Step("z₁ = W₁x + b₁", hand["z₁"], r"z_1 = W_1 x + b_1", "2"),
        Step(f"h = {act}(z₁)", hand["h"], rf"h = {sigma}(z_1)", "2"),
        Step("ŷ = W₂h + b₂", hand["ŷ"], r"\hat y = W_2 h + b_2", "1"),
        Step("L = ½(ŷ − y)²", float(hand["L"]), r"L = \tfrac12(\hat y - y)^2"),
        Step("δ₂ = ∂L/∂ŷ = ŷ − y", hand["δ₂"], r"\delta_2 = \hat y - y", "the ½ cancels the 2"),
        Step(
            "∂L/∂h = W₂ᵀ δ₂",
            hand["∂L/∂h"],
            r"\frac{\partial L}{\partial h} = W_2^\top\delta_2",
            "(2×1)·(1) = 2",
        ),
        Step("σ'(z₁)", hand["σ'(z₁)"], rf"{sigma}'(z_1) = {slope_tex}", "2"),
        Step("δ₁ = ∂L/∂z₁", hand["δ₁"], r"\delta_1 = (W_2^\top\delta_2)\odot\sigma'(z_1)", "2"),
        Step(
            "∂L/∂W₁ = δ₁ xᵀ",
            hand["W1"],
            r"\frac{\partial L}{\partial W_1} = \delta_1 x^\top",
            "2×2, like W₁",
        ),
        Step(
            "∂L/∂W₂ = δ₂ hᵀ",
            hand["W2"],
            r"\frac{\partial L}{\partial W_2} = \delta_2 h^\top",
            "1×2, like W₂",
        ),
        *scalar_steps(hand, net),
    ]
    checks = [
        Check.at_most(
            "the forward pass by hand gives the engine's loss L",
            abs(float(hand["L"]) - value.item()),
            EXACT,
        ),
        Check.at_most(
            "all 9 hand-derived parameter gradients equal the engine's backward pass",
            max(max_abs_difference(hand[n], g) for n, g in zip(NAMES, engine, strict=True)),
            EXACT,
        ),
        *finite_difference_checks(loss, net.arrays, [f"∂L/∂{n}" for n in NAMES]),
    ]
    return Demo(
        name="two_layer_by_hand",
        title="A 2-2-1 network by hand: all nine gradients",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With x = {net.x.tolist()}, y = {net.y:g} and {act} hidden units, L = "
            f"{float(hand['L']):.6g}; the nine hand-derived gradients (largest "
            f"{max(float(np.abs(hand[n]).max()) for n in NAMES):.6g}) match the engine to "
            f"{checks[1].measured:.1e} and central differences to "
            f"{max(c.measured for c in checks[2:]):.1e}."
        ),
    )
