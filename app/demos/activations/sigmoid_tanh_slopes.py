"""Card 1: σ′ = σ(1 − σ) peaks at 1/4 and tanh′ = 1 − tanh² at 1, both at z = 0; through a
chain of sigmoids the input's gradient is a product of factors ≤ 1/4."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, relative_difference, stable_sigmoid
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import finite_difference_checks
from app.demos.registry import register
from app.engine import Tensor, sigmoid, tanh

TIGHT = 1e-12


class SigmoidTanhSlopesParams(DemoParams):
    points: int = Field(default=9, ge=3, le=40, description="Random points z in [−4, 4].")
    depth: int = Field(default=6, ge=1, le=20, description="Sigmoids composed in the chain.")


def chain(x: Tensor, depth: int) -> Tensor:
    """σ(σ(…σ(x)…)), `depth` times."""
    for _ in range(depth):
        x = sigmoid(x)
    return x


@register(
    "sigmoid_tanh_slopes",
    "Sigmoid and tanh derivatives and their maxima",
    SigmoidTanhSlopesParams,
    rules=("sigmoid.vjp", "tanh.vjp"),
)
def sigmoid_tanh_slopes(params: SigmoidTanhSlopesParams) -> Demo:
    """Run the demo: sigmoid and tanh derivatives and their maxima."""
    rng = params.rng()
    z = np.sort(np.round(rng.uniform(-4.0, 4.0, params.points), 2))
    d_sig = engine_grad(sigmoid, z)
    d_tanh = engine_grad(tanh, z)
    s = stable_sigmoid(z)
    t = np.tanh(z)
    at_zero_sig = float(engine_grad(sigmoid, np.zeros(1))[0])
    at_zero_tanh = float(engine_grad(tanh, np.zeros(1))[0])
    d_tanh_via_sig = 4 * engine_grad(sigmoid, 2 * z)  # tanh(z) = 2σ(2z) − 1

    x0 = np.round(rng.uniform(-2.0, 2.0, 1), 2)
    d_chain = engine_grad(lambda v: chain(v, params.depth), x0)[0]
    # The same product by hand: the local σ′ at each link's input.
    value, product = float(x0[0]), 1.0
    for _ in range(params.depth):
        out = float(stable_sigmoid(np.array(value)))
        product *= out * (1 - out)
        value = out
    bound = 0.25**params.depth

    checks = [
        Check.at_most(
            "engine's σ′(z) equals σ(z)(1 − σ(z)) (relative)",
            relative_difference(d_sig, s * (1 - s)),
            TIGHT,
        ),
        Check.at_most(
            "engine's tanh′(z) equals 1 − tanh²(z) (relative)",
            relative_difference(d_tanh, 1 - t * t),
            TIGHT,
        ),
        Check.at_most("σ′(0) = 1/4 exactly (|σ′(0) − 0.25|)", abs(at_zero_sig - 0.25), 1e-15),
        Check.at_most("tanh′(0) = 1 exactly (|tanh′(0) − 1|)", abs(at_zero_tanh - 1.0), 1e-15),
        Check.at_most(
            "no random point beats the slope at 0 (max σ′(z) − σ′(0), sigmoid and tanh alike)",
            max(float(d_sig.max()) - at_zero_sig, float(d_tanh.max()) - at_zero_tanh),
            0.0,
        ),
        Check.at_most(
            "tanh′(z) = 4σ′(2z), since tanh(z) = 2σ(2z) − 1 (relative)",
            relative_difference(d_tanh_via_sig, d_tanh),
            1e-10,
        ),
        Check.at_most(
            f"through {params.depth} chained sigmoids (no weights) the gradient is the product "
            "of the local σ′ (relative)",
            relative_difference(d_chain, product),
            1e-10,
        ),
        Check.at_most(
            f"that product is at most (1/4)^{params.depth} (gradient / bound)",
            d_chain / bound,
            1.0,
        ),
    ]
    checks += finite_difference_checks(
        lambda v: (sigmoid(v) + tanh(v) * 0.5).sum(), [z], ["∂(Σσ + ½Σtanh)/∂z"]
    )
    grid = np.linspace(-6, 6, 49)
    steps = [
        Step("z", z, r"z \in \mathbb{R}^{n}", f"{params.points} random points"),
        Step("σ′(z) by the engine", d_sig, r"\sigma'(z) = \sigma(z)\,(1-\sigma(z))"),
        Step("tanh′(z) by the engine", d_tanh, r"\tanh'(z) = 1 - \tanh^2(z)"),
        Step("σ′(0), tanh′(0)", f"{at_zero_sig:g}, {at_zero_tanh:g}"),
        Step(
            f"d/dx of {params.depth} chained sigmoids at x = {x0[0]:g}",
            d_chain,
            r"\prod_\ell \sigma'(a_{\ell-1}) \le 4^{-L}",
            f"bound (1/4)^{params.depth} = {bound:.3g}",
        ),
    ]
    charts = [
        Chart(
            "Local derivatives",
            "z",
            "slope",
            [
                Series("σ′(z)", grid.tolist(), engine_grad(sigmoid, grid).tolist()),
                Series("tanh′(z)", grid.tolist(), engine_grad(tanh, grid).tolist()),
            ],
        )
    ]
    return Demo(
        name="sigmoid_tanh_slopes",
        title="Sigmoid and tanh derivatives and their maxima",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"σ′ peaks at {at_zero_sig:g} and tanh′ at {at_zero_tanh:g}, both at z = 0; through "
            f"{params.depth} sigmoids the gradient is {d_chain:.3g}, under the bound "
            f"(1/4)^{params.depth} = {bound:.3g}."
        ),
    )
