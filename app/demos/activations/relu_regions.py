"""Card 12: a ReLU net is piecewise linear. On a 1-D input one hidden layer of n units has at
most n + 1 linear pieces (one kink per unit); composing k tent maps (2 units a layer) gives 2^k."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, relative_difference
from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import Tensor, linear, no_grad, relu

SPAN = 5.0
TENT_W = np.array([[1.0], [1.0]])
TENT_B = np.array([0.0, -0.5])
TENT_V = np.array([[2.0, -4.0]])  # t(x) = 2 relu(x) − 4 relu(x − ½): 2x, then 2 − 2x


class ReluRegionsParams(DemoParams):
    units: int = Field(default=6, ge=1, le=12, description="Hidden units of the shallow net.")
    tents: int = Field(default=4, ge=1, le=6, description="Tent layers k of the deep net.")


def shallow(x: Tensor, w: np.ndarray, b: np.ndarray, v: np.ndarray) -> Tensor:
    """y = v · relu(w x + b) for a column of scalar inputs x (B×1)."""
    return linear(relu(linear(x, Tensor(w), Tensor(b))), Tensor(v))


def tents(x: Tensor, k: int) -> Tensor:
    """The tent map t composed k times, each a 2-unit ReLU layer."""
    for _ in range(k):
        x = linear(relu(linear(x, Tensor(TENT_W), Tensor(TENT_B))), Tensor(TENT_V))
    return x


def count_pieces(slopes: np.ndarray) -> int:
    """Adjacent intervals with different slopes are different pieces."""
    return 1 + int(np.count_nonzero(np.abs(np.diff(slopes)) > 1e-9))


@register(
    "relu_regions",
    "ReLU nets are piecewise linear: counting the pieces",
    ReluRegionsParams,
    rules=("relu.vjp", "linear.vjp"),
)
def relu_regions(params: ReluRegionsParams) -> Demo:
    """Run the demo: ReLU nets are piecewise linear: counting the pieces."""
    rng = params.rng()
    n = params.units
    # Kinks at distinct points of a half-step grid, so every piece is at least 0.5 wide.
    kinks = np.sort(rng.choice(np.arange(-4.5, 4.51, 0.5), n, replace=False))
    w = rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 2.0, n)
    b = -w * kinks
    v = rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 1.5, n)
    w, v = w[:, None], v[None, :]
    edges = np.concatenate([[-SPAN], kinks, [SPAN]])
    left, right = edges[:-1], edges[1:]
    quarter = left + 0.25 * (right - left)
    three = left + 0.75 * (right - left)
    mid = 0.5 * (left + right)

    def f(points: np.ndarray) -> np.ndarray:
        return engine_grad(lambda t: shallow(t, w, b, v), points[:, None])[:, 0]

    slopes_mid, slopes_q, slopes_3q = f(mid), f(quarter), f(three)
    active = (w[:, 0][None, :] * mid[:, None] + b[None, :]) > 0
    hand = active.astype(float) @ (w[:, 0] * v[0])
    with no_grad():
        y_q = shallow(Tensor(quarter[:, None]), w, b, v).data[:, 0]
        y_3q = shallow(Tensor(three[:, None]), w, b, v).data[:, 0]
    secant = (y_3q - y_q) / (three - quarter)
    pieces = count_pieces(slopes_mid)

    k = params.tents
    dyadic = (np.arange(2**k) + 0.5) / 2**k
    tent_slopes = engine_grad(lambda t: tents(t, k), dyadic[:, None])[:, 0]
    tent_pieces = count_pieces(tent_slopes)
    checks = [
        Check.at_most(
            "shallow net: engine's dy/dx on each piece equals Σ over active units of v_i w_i "
            "(relative)",
            relative_difference(slopes_mid, hand),
            1e-12,
        ),
        Check.at_most(
            "the slope is constant on each piece (engine's slope at ¼ and ¾ against the middle)",
            max(
                relative_difference(slopes_q, slopes_mid),
                relative_difference(slopes_3q, slopes_mid),
            ),
            1e-12,
        ),
        Check.at_most(
            "and it is the slope of the function itself (secant from forward values, relative)",
            relative_difference(slopes_mid, secant),
            1e-9,
        ),
        Check.equal(
            f"{n} units make {n} kinks and so {n + 1} pieces (pieces counted)", pieces, n + 1
        ),
        Check.equal(
            f"deep net, {k} tent layers of 2 units: 2^{k} pieces (pieces counted)",
            tent_pieces,
            2**k,
        ),
        Check.at_most(
            f"every tent piece has slope ±2^{k} (relative)",
            relative_difference(np.abs(tent_slopes), np.full(2**k, 2.0**k)),
            1e-12,
        ),
    ]
    grid = np.linspace(0, 1, 257)
    with no_grad():
        tent_curve = tents(Tensor(grid[:, None]), k).data[:, 0]
    steps = [
        Step("kinks x_i = −b_i/w_i", kinks, r"x_i = -b_i / w_i"),
        Step(
            "slope on each piece (engine)",
            slopes_mid,
            r"\tfrac{dy}{dx} = \sum_{i:\,w_i x + b_i > 0} v_i w_i",
        ),
        Step("pieces of the shallow net", pieces, note=f"{n} units"),
        Step(f"slopes of {k} composed tents on [0, 1]", tent_slopes[:16], note="first 16 pieces"),
        Step("pieces of the deep net", tent_pieces, note=f"{2 * k} ReLU units in {k} layers"),
    ]
    charts = [
        Chart(
            f"{k} composed tents",
            "x",
            "y",
            [Series("tent^k(x)", grid.tolist(), tent_curve.tolist())],
        )
    ]
    return Demo(
        name="relu_regions",
        title="ReLU nets are piecewise linear: counting the pieces",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"The {n}-unit layer cuts the line into {pieces} linear pieces; {k} tent layers of 2 "
            f"units ({2 * k} units in all) cut [0, 1] into {tent_pieces}."
        ),
    )
