"""Card 15: a layer's backward costs two forward matmuls, one when it needs no input gradient."""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import MLP, Linear, Tensor, count, mse_loss

NETWORK_DEPTH = 4  # linear layers in the whole-network example
TIMING_REPEATS = 3  # the fastest of a few runs is the least disturbed by other processes


class BackwardCostParams(DemoParams):
    batch: int = Field(default=16, ge=1, le=64, description="Examples in the batch (B).")
    max_width: int = Field(
        default=64, ge=16, le=256, description="Widest layer; widths double from 8 up to it."
    )


class Cost(NamedTuple):
    """Counted FLOPs and the fastest measured seconds of one forward and its backward."""

    forward_flops: int
    backward_flops: int
    forward_seconds: float
    backward_seconds: float


def layer_cost(layer: Linear, x: np.ndarray, upstream: np.ndarray, input_grad: bool) -> Cost:
    """Count and time Z = X Wᵀ and its backward; input_grad=False is a first layer."""
    with count() as counter:
        z = layer(Tensor(x, requires_grad=input_grad))
        z.backward(gradient=upstream)
    forward_times, backward_times = [], []
    # Timed separately, without the counters, which slow backward down.
    for _ in range(TIMING_REPEATS):
        start = time.perf_counter()
        z = layer(Tensor(x, requires_grad=input_grad))
        middle = time.perf_counter()
        z.backward(gradient=upstream)
        forward_times.append(middle - start)
        backward_times.append(time.perf_counter() - middle)
    layer.zero_grad()
    return Cost(
        counter.total_flops("forward"),
        counter.total_flops("backward"),
        min(forward_times),
        min(backward_times),
    )


def network_flops(width: int, batch: int, rng: np.random.Generator) -> tuple[int, int]:
    """Forward and backward FLOPs of an MLP step whose first layer needs no input gradient."""
    model = MLP([width] * (NETWORK_DEPTH + 1), "relu", seed=int(rng.integers(2**31)))
    x = rng.standard_normal((batch, width))
    y = rng.standard_normal((batch, width))
    with count() as counter:
        loss = mse_loss(model(Tensor(x)), y)
        forward = counter.total_flops("forward")
        loss.backward()
    return forward, counter.total_flops("backward")


def worst(ratios: list[float], target: float) -> float:
    """The ratio furthest from the predicted one."""
    return max(ratios, key=lambda r: abs(r - target))


@register(
    "backward_cost",
    "Backward costs about twice the forward",
    BackwardCostParams,
    rules=("counters.flops", "autograd.need"),
)
def backward_cost(params: BackwardCostParams) -> Demo:
    """Run the demo: backward costs about twice the forward."""
    rng = params.rng()
    B = params.batch
    widths = [8 * 2**i for i in range(8) if 8 * 2**i <= params.max_width]
    hidden: list[Cost] = []
    first: list[Cost] = []
    for w in widths:
        # No bias, so the counts are the matmuls alone: Z = X Wᵀ as on the card.
        layer = Linear(w, w, bias=False, seed=rng)
        x = rng.standard_normal((B, w))
        upstream = rng.standard_normal((B, w))
        hidden.append(layer_cost(layer, x, upstream, input_grad=True))
        first.append(layer_cost(layer, x, upstream, input_grad=False))
    hidden_ratio = [c.backward_flops / c.forward_flops for c in hidden]
    first_ratio = [c.backward_flops / c.forward_flops for c in first]
    net_forward, net_backward = network_flops(params.max_width, B, rng)
    step_ratio = (net_forward + net_backward) / net_forward
    w = widths[-1]

    steps = [
        Step(
            f"forward FLOPs of Z = X Wᵀ, width {w}",
            hidden[-1].forward_flops,
            r"B\, n_\text{in}\, n_\text{out}\ \text{MACs}",
            f"B = {B}: {B}·{w}·{w} multiply-adds",
        ),
        Step(
            "backward FLOPs, hidden layer",
            hidden[-1].backward_flops,
            r"G^\top X \text{ and } G W:\ 2\, B\, n_\text{in}\, n_\text{out}",
            "two matmuls of the forward's size",
        ),
        Step(
            "backward FLOPs, first layer",
            first[-1].backward_flops,
            r"G^\top X \text{ only}",
            "X needs no gradient, so G W is skipped",
        ),
        Step(
            "backward / forward by width (hidden, first)",
            np.array([widths, hidden_ratio, first_ratio], dtype=np.float64),
            note="rows: width; hidden layer; first layer",
        ),
        Step(
            f"training step / forward, {NETWORK_DEPTH}-layer ReLU MLP of width {w}",
            step_ratio,
            note="forward + backward, first layer without dX: a little under 3",
        ),
    ]
    checks = [
        Check.between(
            "a hidden layer's backward costs twice its forward in counted FLOPs (worst width)",
            worst(hidden_ratio, 2.0),
            1.9,
            2.1,
        ),
        Check.between(
            "a first layer that needs no input gradient costs about one forward in counted FLOPs",
            worst(first_ratio, 1.0),
            0.9,
            1.1,
        ),
        Check.between(
            "a whole training step costs about three forwards in counted FLOPs",
            step_ratio,
            2.5,
            3.05,
        ),
    ]
    charts = [
        Chart(
            "Backward / forward, counted FLOPs",
            "width",
            "backward / forward",
            [
                Series("hidden layer", list(widths), hidden_ratio),
                Series("first layer (no dX)", list(widths), first_ratio),
            ],
            log_x=True,
        ),
        Chart(
            "Backward / forward, measured time (noisy: a shared machine)",
            "width",
            "backward time / forward time",
            [
                Series(
                    "hidden layer",
                    list(widths),
                    [c.backward_seconds / c.forward_seconds for c in hidden],
                ),
                Series(
                    "first layer (no dX)",
                    list(widths),
                    [c.backward_seconds / c.forward_seconds for c in first],
                ),
            ],
            log_x=True,
        ),
    ]
    return Demo(
        name="backward_cost",
        title="Backward costs about twice the forward",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"At width {w} the backward of a hidden layer counted {hidden[-1].backward_flops:,} "
            f"FLOPs against {hidden[-1].forward_flops:,} forward ({hidden_ratio[-1]:.2f}×), "
            f"a first layer {first_ratio[-1]:.2f}×, and a whole {NETWORK_DEPTH}-layer training "
            f"step {step_ratio:.2f} forwards."
        ),
    )
