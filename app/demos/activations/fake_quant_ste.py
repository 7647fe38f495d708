"""Card 13: a bounded, piecewise-linear activation (ReLU6 = hardtanh(x, 0, 6)) fixes the int8 range
ahead of time. Quantisation-aware training's straight-through gradient has two masks: the fake
quantiser's own, which (as torch.fake_quantize_per_tensor_affine) tests the rounded code and so
passes 1 on the closed code range, bounds included; and ReLU6's in front of it, [0 < x < 6],
which is what the pair leaves. Hard-swish is x · ReLU6(x + 3)/6, with slope (2x + 3)/6 inside."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, relative_difference
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import Tensor, hardtanh, no_grad, silu

TOP = 6.0


class FakeQuantSteParams(DemoParams):
    bits: int = Field(default=8, ge=4, le=8, description="Bits of the unsigned activation code.")
    points: int = Field(default=12, ge=4, le=48, description="Activations drawn.")


def quantise(values: np.ndarray, scale: float, levels: int) -> np.ndarray:
    """Round to the nearest of `levels` steps of `scale`, clipped to the code range."""
    return np.clip(np.round(values / scale), 0, levels) * scale


def fake_quantise(h: Tensor, scale: float, levels: int) -> Tensor:
    """The fake quantiser with the straight-through estimator, as torch's: forward is the
    quantised value; backward treats round() as the identity and passes g where the rounded
    code lies in [0, levels], bounds included."""
    code = np.round(h.data / scale)
    inside = Tensor(((code >= 0) & (code <= levels)).astype(np.float64))  # constants
    offset = Tensor(quantise(h.data, scale, levels) - h.data * inside.data)
    return h * inside + offset


def fake_quant(x: Tensor, scale: float, levels: int) -> Tensor:
    """ReLU6, then the fake quantiser: ReLU6's mask [0 < x < 6] times the quantiser's."""
    return fake_quantise(hardtanh(x, 0.0, TOP), scale, levels)


def hardswish(x: Tensor) -> Tensor:
    """x · ReLU6(x + 3) / 6 (torch.nn.Hardswish), composed from engine ops."""
    return x * hardtanh(x + 3.0, 0.0, TOP) * (1 / TOP)


@register(
    "fake_quant_ste",
    "Hard activations in quantised models",
    FakeQuantSteParams,
    rules=("hardtanh.vjp", "add.vjp", "mul.vjp"),
)
def fake_quant_ste(params: FakeQuantSteParams) -> Demo:
    """Run the demo: hard activations in quantised models."""
    rng = params.rng()
    levels = 2**params.bits - 1
    x = np.round(rng.uniform(-2.0, 8.0, params.points), 3)
    x[np.isin(x, [0.0, TOP])] += 0.001
    outlier = np.concatenate([x, [40.0]])  # one large activation, as real layers have
    scale6 = TOP / levels
    with no_grad():
        relu6 = hardtanh(Tensor(x), 0.0, TOP).data
    err6 = float(np.abs(quantise(relu6, scale6, levels) - relu6).max())
    relu_out = np.maximum(outlier, 0)
    scale_relu = (
        float(relu_out.max()) / levels
    )  # an unbounded ReLU's range is set by its largest value
    typical = relu_out[:-1]
    err_relu = float(np.abs(quantise(typical, scale_relu, levels) - typical).max())

    # The quantiser alone at its edges, with PyTorch's gradients there (torch 2.13:
    # fake_quantize_per_tensor_affine(x, 6/255, 0, 0, 255) gives 1, 1, 1, 0, 1, 0, 1).
    edges = np.array(
        [0.0, TOP, TOP + 0.4 * scale6, TOP + 0.6 * scale6, -0.4 * scale6, -0.6 * scale6]
    )
    edges = np.concatenate([edges, [TOP / 2]])
    edge_grad = engine_grad(lambda t: fake_quantise(t, scale6, levels), edges)
    edge_torch = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    with no_grad():
        edge_value = fake_quantise(Tensor(edges), scale6, levels).data
    # ReLU6 in front, on the drawn points and on the bounds 0 and 6 themselves.
    xq = np.concatenate([x, [0.0, TOP]])
    g_up = rng.choice([-2.0, -1.0, 1.0, 2.0], xq.size)
    ste = engine_grad(lambda t: fake_quant(t, scale6, levels), xq, g_up)
    mask = ((xq > 0) & (xq < TOP)).astype(float)
    xs = np.round(rng.uniform(-4.5, 4.5, params.points), 3)
    xs[np.isin(xs, [-3.0, 3.0])] += 0.001
    hs_slope = engine_grad(hardswish, xs)
    hs_hand = np.where(xs <= -3, 0.0, np.where(xs >= 3, 1.0, (2 * xs + 3) / 6))
    grid = np.linspace(-6, 6, 1201)
    with no_grad():
        gap = float(np.abs(hardswish(Tensor(grid)).data - silu(Tensor(grid)).data).max())
    checks = [
        Check.at_most(
            f"ReLU6 at {params.bits} bits: scale 6/{levels} fixed ahead of time, error ≤ scale/2 "
            "(largest error · 2 / scale)",
            err6 * 2 / scale6,
            1.0 + 1e-9,
        ),
        Check.at_least(
            "unbounded ReLU with one outlier (40): the scale grows and typical values lose "
            "precision (its largest error over ReLU6's)",
            err_relu / err6 if err6 > 0 else float("inf"),
            2.0,
        ),
        Check.at_most(
            "the fake quantiser alone: forward rounds to the code grid, and its straight-through "
            "gradient is 1 on the closed code range, bounds included, as PyTorch's "
            "(largest difference)",
            max(
                float(np.abs(edge_grad - edge_torch).max()),
                float(np.abs(edge_value - quantise(edges, scale6, levels)).max()),
            ),
            0.0,
        ),
        Check.at_most(
            "straight-through gradient of ReLU6 then the quantiser equals g ⊙ [0 < x < 6], "
            "0 at x = 0 and x = 6 (relative)",
            relative_difference(ste, g_up * mask),
            1e-12,
        ),
        Check.at_most(
            "hard-swish x·ReLU6(x + 3)/6: engine's slope is 0, (2x + 3)/6, 1 on its three pieces "
            "(relative)",
            relative_difference(hs_slope, hs_hand),
            1e-12,
        ),
        Check.at_most("hard-swish stays within 0.143 of SiLU on [−6, 6] (largest gap)", gap, 0.143),
    ]
    steps = [
        Step("x (pre-activations)", x),
        Step("ReLU6(x)", relu6, r"\mathrm{ReLU6}(x) = \min(\max(x, 0), 6)"),
        Step("scales: ReLU6, ReLU with an outlier", f"{scale6:.4g}, {scale_relu:.4g}"),
        Step("largest rounding error: ReLU6, ReLU", f"{err6:.4g}, {err_relu:.4g}"),
        Step("quantiser alone: x at its edges", edges),
        Step(
            "quantiser alone: straight-through ∂/∂x",
            edge_grad,
            r"[0 \le \mathrm{round}(x/s) \le 2^b - 1]",
        ),
        Step("x, then the bounds 0 and 6", xq),
        Step("ReLU6 then quantiser: straight-through ∂L/∂x", ste, r"\bar x = g \odot [0 < x < 6]"),
        Step("hard-swish slope", hs_slope, r"\tfrac{d}{dx}\,\tfrac{x\,\mathrm{ReLU6}(x+3)}{6}"),
        Step("max |hard-swish − SiLU| on [−6, 6]", gap),
    ]
    return Demo(
        name="fake_quant_ste",
        title="Hard activations in quantised models",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"ReLU6's fixed range gives a {params.bits}-bit step of {scale6:.4g}; "
            "one outlier of 40 "
            f"stretches an unbounded ReLU's step to {scale_relu:.4g}. "
            "The quantiser alone passes the gradient on its closed code range; "
            "behind ReLU6 the gradient is ReLU6's mask "
            "[0 < x < 6], and hard-swish stays within "
            f"{gap:.3f} of SiLU with only comparisons and multiplies."
        ),
    )
