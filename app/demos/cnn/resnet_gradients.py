"""Card 8: why residual networks train deeper: the gradient norm with and without skips.

A plain block h ← conv(relu(h)) multiplies the backward signal by its Jacobian, so the norm
changes by a factor per layer (here PyTorch's default conv init, Var(w) = 1/(3·fan_in), and ReLU
halve... give about √(1/6) ≈ 0.41). A residual block h ← h + conv(relu(h)) has Jacobian I + J:
the identity carries the gradient back whatever J does.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.cnn.common import grad_of
from app.demos.registry import register
from app.engine import Conv2d, Tensor, conv2d, relu

SIZE = 8


class ResnetGradientsParams(DemoParams):
    depth: int = Field(default=12, ge=4, le=16, description="Blocks L.")
    channels: int = Field(default=4, ge=2, le=6, description="Channels in every block.")


def stack(x: Tensor, kernels: list[np.ndarray], residual: bool) -> tuple[Tensor, list[Tensor]]:
    """The output and every block's input; the skip adds the block's input back."""
    h, inputs = x, []
    for w in kernels:
        inputs.append(h)
        branch = conv2d(relu(h), Tensor(w), padding=1)
        h = h + branch if residual else branch
    return h, inputs


def gradient_norms(
    x_data: np.ndarray, kernels: list[np.ndarray], g: np.ndarray, residual: bool
) -> tuple[list[float], np.ndarray]:
    """‖∂L/∂h_l‖ / ‖g‖ for every block input h_l (l = 0 is the network's input), and ∂L/∂x."""
    x = Tensor(x_data, requires_grad=True)
    out, inputs = stack(x, kernels, residual)
    for h in inputs:
        h.retain_grad()
    out.backward(gradient=g)
    norms = [float(np.linalg.norm(grad_of(h))) / float(np.linalg.norm(g)) for h in inputs]
    return norms, grad_of(x)


def euler_error(
    x_data: np.ndarray, dx: np.ndarray, kernels: list[np.ndarray], g: np.ndarray, residual: bool
) -> float:
    """|⟨∂L/∂x, x⟩ − L| / |L|: convolutions without bias, ReLU and skips are positively
    homogeneous of degree 1, so the gradient along x itself must give L back exactly."""
    loss = float(np.sum(stack(Tensor(x_data), kernels, residual)[0].data * g))
    return abs(float(np.sum(dx * x_data)) - loss) / abs(loss)


@register(
    "resnet_gradients",
    "Why ResNets train deeper: gradient norms with and without skips",
    ResnetGradientsParams,
    rules=("conv2d.vjp", "add.vjp", "relu.vjp"),
)
def resnet_gradients(params: ResnetGradientsParams) -> Demo:
    """Run the demo: the same convolutions stacked plain and residual; gradient norm per block."""
    rng = params.rng()
    depth, c = params.depth, params.channels
    # PyTorch's default Conv2d init, bias off: U(−1/√fan_in, 1/√fan_in).
    kernels = [
        Conv2d(c, c, 3, padding=1, bias=False, seed=int(rng.integers(2**31))).weight.data
        for _ in range(depth)
    ]
    x_data = rng.standard_normal((1, c, SIZE, SIZE))
    g = rng.standard_normal((1, c, SIZE, SIZE))
    plain, dx_plain = gradient_norms(x_data, kernels, g, False)
    res, dx_res = gradient_norms(x_data, kernels, g, True)
    per_layer = plain[0] ** (1 / depth)

    checks = [
        Check.between(
            "plain: the gradient norm shrinks by a factor per layer near √(1/6) ≈ 0.41 "
            "(geometric mean over the L layers)",
            per_layer,
            0.15,
            0.65,
        ),
        Check.at_least(
            "residual: the gradient reaching the input is at least 0.9 of the output's "
            "(‖∂L/∂x‖ / ‖g‖)",
            res[0],
            0.9,
        ),
        Check.at_least(
            "the skips carry at least 10× more gradient to the input than the plain stack",
            res[0] / plain[0],
            10.0,
        ),
        Check.at_most(
            "Euler's identity ⟨∂L/∂x, x⟩ = L holds for both stacks (no biases: each is "
            "positively homogeneous; relative error, worst)",
            max(
                euler_error(x_data, dx, kernels, g, r)
                for dx, r in ((dx_plain, False), (dx_res, True))
            ),
            1e-10,
        ),
    ]
    blocks: list[float | int] = list(range(depth))
    steps = [
        Step(
            "‖∂L/∂h_l‖ / ‖g‖, plain", np.array(plain), note="block inputs, from the input (l = 0)"
        ),
        Step("‖∂L/∂h_l‖ / ‖g‖, residual", np.array(res)),
        Step(
            "plain: norm factor per layer",
            per_layer,
            r"\left(\|\partial L/\partial x\| / \|g\|\right)^{1/L}",
        ),
        Step(
            "predicted factor for ReLU + default init",
            math.sqrt(1 / 6),
            r"\sqrt{\tfrac12 \cdot \tfrac13}",
        ),
    ]
    chart = Chart(
        "Gradient norm at each block's input",
        "block l",
        "‖∂L/∂h_l‖ / ‖g‖",
        [Series("plain", blocks, plain), Series("residual", blocks, res)],
        log_y=True,
    )
    return Demo(
        name="resnet_gradients",
        title="Why ResNets train deeper: gradient norms with and without skips",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Through {depth} plain blocks the gradient norm fell to {plain[0]:.2g} of the "
            f"output's ({per_layer:.2f} per layer); with skips around the same convolutions it "
            f"reached the input at {res[0]:.2f}."
        ),
    )
