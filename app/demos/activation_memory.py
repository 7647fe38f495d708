"""Card 8: the bytes autograd keeps for backward grow linearly with depth, width and batch."""

from __future__ import annotations

import gc
from typing import Any, NamedTuple

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.engine import MLP, Tensor, count, mse_loss

MULTIPLES = (1, 2, 3, 4)  # each variable is swept over these multiples of its param value
VARIABLES = ("batch", "width", "depth")


class ActivationMemoryParams(DemoParams):
    batch: int = Field(default=8, ge=1, le=16, description="Examples in the batch (B).")
    width: int = Field(default=16, ge=2, le=32, description="Units per hidden layer (n).")
    depth: int = Field(default=3, ge=1, le=6, description="Hidden ReLU layers (N).")


class Memory(NamedTuple):
    """What one forward pass left saved for backward, and what of it is not an activation."""

    saved: int  # declared: every byte the ops said they save, still live after the forward
    weights: int  # the layers' W arrays: saved by reference, resident with or without training
    inputs: int  # the batch X and the target Y, which exist before the forward
    output: int  # the network's output Ŷ, saved by the loss; inference computes it too
    retained: int  # real: bytes of arrays the graph keeps reachable, beyond W, X and Y


def reachable_bytes(root: Tensor, exclude: set[int]) -> int:
    """Bytes of every array buffer reachable from root through the graph's own references.

    This is what the graph really keeps alive (the declared saves are only what the rules say
    they need): it follows tensors, their parents, saved values and contexts, never functions.
    The loss value itself and buffers in `exclude` (by id) are left out.
    """
    buffers: dict[int, np.ndarray] = {}
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            base = obj
            while isinstance(base.base, np.ndarray):
                base = base.base
            buffers[id(base)] = base
        elif isinstance(obj, Tensor | tuple | list | dict):
            stack.extend(gc.get_referents(obj))
    skip = exclude | {id(root.data)}
    return sum(a.nbytes for key, a in buffers.items() if key not in skip)


def layer_sizes(width: int, depth: int) -> list[int]:
    """Input, `depth` hidden layers and output, all `width` wide."""
    return [width] * (depth + 2)


def loss_of(output: Tensor, target: np.ndarray) -> Tensor:
    """Mean squared error: one fused node that saves nothing of its own."""
    return mse_loss(output, target)


def measure(batch: int, width: int, depth: int, seed: int) -> Memory:
    """Run one forward pass under the counters and read the bytes still saved for backward."""
    rng = np.random.default_rng(seed)
    sizes = layer_sizes(width, depth)
    model = MLP(sizes, "relu", seed=seed)
    x = rng.standard_normal((batch, sizes[0]))
    target = rng.standard_normal((batch, sizes[-1]))
    with count() as counter:
        loss = loss_of(model(Tensor(x)), target)
        saved = counter.saved_live
    params = [p.data for p in model.parameters()]
    retained = reachable_bytes(loss, {id(a) for a in (*params, x, target)})
    weights = sum(layer.weight.data.nbytes for layer in model.layers)
    output = batch * sizes[-1] * x.itemsize if loss.op == "mse_loss" else 0
    return Memory(saved, weights, x.nbytes + target.nbytes, output, retained)


def activation_bytes(memory: Memory) -> int:
    """Declared saved bytes that exist only because backward will need them (hidden layers)."""
    return memory.saved - memory.weights - memory.inputs - memory.output


def declared_beyond_data(memory: Memory) -> int:
    """Declared saves beyond W, X and Y: all that backward needs of the forward."""
    return memory.saved - memory.weights - memory.inputs


def r_squared(x: list[int], y: list[int]) -> float:
    """R² of the least-squares line through (x, y): 1 means exactly linear."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    slope, intercept = np.polyfit(xs, ys, 1)
    residual = float(np.sum((ys - (slope * xs + intercept)) ** 2))
    total = float(np.sum((ys - ys.mean()) ** 2))
    return 1.0 - residual / total if total > 0 else 0.0


@register(
    "activation_memory",
    "Why backprop needs memory",
    ActivationMemoryParams,
    rules=("counters.saved",),
)
def activation_memory(params: ActivationMemoryParams) -> Demo:
    """Run the demo: why backprop needs memory."""
    base = {"batch": params.batch, "width": params.width, "depth": params.depth}
    sweeps: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for variable in VARIABLES:
        values = [base[variable] * m for m in MULTIPLES]
        memories = [measure(**{**base, variable: v}, seed=params.seed) for v in values]
        sweeps[variable] = (
            values,
            [activation_bytes(m) for m in memories],
            [m.weights for m in memories],
        )

    steps: list[Step] = []
    checks: list[Check] = []
    charts: list[Chart] = []
    for variable, (values, act, weights) in sweeps.items():
        steps.append(
            Step(
                f"activation bytes vs {variable}",
                np.array([values, act], dtype=np.float64),
                note=f"row 1: {variable}; row 2: bytes saved for backward beyond W and X",
            )
        )
        checks.append(
            Check.at_least(
                f"saved activation bytes grow linearly with {variable} (R² of a line fit)",
                r_squared(values, act),
                0.99999,
            )
        )
        checks.append(
            Check.between(
                f"doubling the {variable} doubles the activation bytes",
                act[1] / act[0] if act[0] else float("inf"),
                1.999,
                2.001,
            )
        )
        charts.append(
            Chart(
                f"Bytes saved for backward vs {variable}",
                variable,
                "bytes",
                [
                    Series("activations (saved for backward)", list(values), list(act)),
                    Series("weights W (resident anyway)", list(values), list(weights)),
                ],
                kind="line",
            )
        )
    per_unit = sweeps["batch"][1][0] / (params.batch * params.width * params.depth)
    steps.append(
        Step(
            "bytes per example, per unit, per hidden layer",
            per_unit,
            r"M_\text{act} \approx B \sum_\ell c_\ell\, n_\ell \times \text{bytes}",
            "8 for the float64 input the next layer keeps for G^T X, 1 for the ReLU's bool mask",
        )
    )
    at_params = measure(params.batch, params.width, params.depth, params.seed)
    declared, retained = declared_beyond_data(at_params), at_params.retained
    # This engine's graph links tensors, so each hidden layer's pre-ReLU Z stays reachable
    # through the ReLU node's parents although no rule reads it; PyTorch's graph links grad_fn
    # nodes instead and keeps only the saved tensors. The gap is exactly those Z arrays.
    unneeded = params.depth * params.batch * params.width * np.dtype(np.float64).itemsize
    steps.append(
        Step(
            "declared vs really retained bytes (beyond W, X, Y)",
            np.array([declared, retained, unneeded], dtype=np.float64),
            note="row 1 declared: what the ops' rules say they save (the counters); row 2 real: "
            "bytes of the arrays this engine's graph keeps reachable after the forward; row 3: "
            "the pre-ReLU Z of every hidden layer, kept only because the graph links tensors "
            "(PyTorch's graph would free them)",
        )
    )
    checks.append(
        Check.at_most(
            "real retention = declared saves + the unneeded pre-ReLU Z arrays "
            "(|real − declared − Z bytes| / real)",
            abs(retained - declared - unneeded) / retained if retained else float("inf"),
            0.01,
        )
    )
    swept = {variable: sweeps[variable][1] for variable in VARIABLES}
    return Demo(
        name="activation_memory",
        title="Why backprop needs memory",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Doubling the batch took the saved activations from {swept['batch'][0]:,} to "
            f"{swept['batch'][1]:,} bytes, doubling the width from {swept['width'][0]:,} to "
            f"{swept['width'][1]:,}, doubling the depth from {swept['depth'][0]:,} to "
            f"{swept['depth'][1]:,}: {per_unit:g} bytes per example, unit and layer. Declared "
            f"saves beyond W, X and Y were {declared:,} bytes; this engine's graph really held "
            f"{retained:,}, the difference being the pre-ReLU Z arrays no rule needs."
        ),
    )
