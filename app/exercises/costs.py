"""What backprop costs: activation bytes kept for backward, checkpointing's memory and
recompute, and the FLOPs of an MLP forward and backward. The engine's counters measure each."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, backward_order, checkpoint, count, gradients, linear, relu, tanh
from app.exercises.base import AnswerField, Exercise, Given, Mistake, register

# Counts are exact integers: half a unit off is already another answer.
EXACT_ATOL = 0.5
BATCHES = [2, 4, 8, 16, 32, 64]
WIDTHS = [2, 3, 4, 8, 10, 16, 32, 64]


def _widths(rng: np.random.Generator) -> list[int]:
    """Two or three layers: n0 -> n1 -> ... -> nL."""
    layers = int(rng.integers(2, 4))
    return [int(w) for w in rng.choice(WIDTHS, size=layers + 1)]


def _sizes_tex(widths: list[int]) -> str:
    return " \\to ".join(str(w) for w in widths)


def _mlp(x: Tensor, weights: list[Tensor]) -> Tensor:
    """Linear layers without bias, a ReLU between each two (none after the last)."""
    for i, weight in enumerate(weights):
        x = linear(x, weight)
        if i < len(weights) - 1:
            x = relu(x)
    return x


def _weights(widths: list[int], dtype: Any) -> list[Tensor]:
    return [
        Tensor(np.ones((n_out, n_in), dtype=dtype), requires_grad=True)
        for n_in, n_out in itertools.pairwise(widths)
    ]


def _byte_answer(
    v: Mapping[str, Any], float_bytes: int = 4, mask_bytes: int = 1, extra_floats: int = 0
) -> dict[str, float]:
    widths, batch = [int(w) for w in v["widths"]], int(v["B"])
    inputs = batch * sum(widths[:-1]) * float_bytes + extra_floats * float_bytes
    masks = batch * sum(widths[1:-1]) * mask_bytes
    return {"input_bytes": inputs, "mask_bytes": masks, "total_bytes": inputs + masks}


ACTIVATION_BYTES_MISTAKES = (
    Mistake(
        "float64",
        "counted 8 bytes per number (float64) instead of 4",
        lambda v: {k: w for k, w in _byte_answer(v, float_bytes=8).items() if k != "mask_bytes"},
    ),
    Mistake(
        "mask_as_float",
        "stored the ReLU masks as float32 (4 bytes an entry) instead of 1-byte booleans",
        lambda v: {k: w for k, w in _byte_answer(v, mask_bytes=4).items() if k != "input_bytes"},
    ),
    Mistake(
        "output_counted",
        "also counted the last layer's output, which no backward rule keeps",
        lambda v: {
            k: w
            for k, w in _byte_answer(v, extra_floats=int(v["B"]) * int(v["widths"][-1])).items()
            if k != "mask_bytes"
        },
    ),
    Mistake(
        "shared_buffer_twice",
        "counted each ReLU's output and the next layer's saved input as two arrays",
        lambda v: {
            k: w
            for k, w in _byte_answer(
                v, extra_floats=int(v["B"]) * sum(int(w) for w in v["widths"][1:-1])
            ).items()
            if k != "mask_bytes"
        },
    ),
)


@register(
    "activation_bytes",
    "Activation memory of an MLP",
    "Bytes an MLP's layers keep for backward, in float32, for a given batch and widths.",
    ACTIVATION_BYTES_MISTAKES,
)
def activation_bytes(rng: np.random.Generator, seed: int) -> Exercise:
    """The engine's counters measure what its rules save: linear keeps X, relu a boolean mask."""
    batch = int(rng.choice(BATCHES))
    widths = _widths(rng)
    weights = _weights(widths, np.float32)
    with count() as counters:
        out = _mlp(Tensor(np.zeros((batch, widths[0]), dtype=np.float32)), weights)
        masks = sum(node.saved_bytes for node in backward_order(out) if node._op == "relu")
    # The weights are parameters: they exist with or without backward, so they are not counted.
    inputs = counters.saved_total - sum(w.data.nbytes for w in weights) - masks
    layers = len(widths) - 1
    prompt = (
        f"An MLP maps $\\mathbb{{R}}^{{{widths[0]}}}$ through widths ${_sizes_tex(widths)}$: "
        f"{layers} linear layers (no bias) with a ReLU after every one but the last. It runs "
        f"forward in float32 on a batch of $B = {batch}$, keeping what backward needs: "
        "each linear layer keeps its input (4 bytes a number; for the first layer that is the "
        "batch $X$ itself), and each ReLU keeps a boolean mask of where its input was positive "
        "(1 byte an entry). A ReLU's output *is* the next layer's input: one array, counted "
        "once. Weights are parameters and the last layer's output is kept by no rule: count "
        "neither. How many bytes are the saved layer inputs, the masks, and both together?"
    )
    steps = (
        Step(
            "layer inputs: B × (n0 + … + n_{L−1}) × 4 bytes",
            float(inputs),
            f"{batch} \\times ({' + '.join(str(w) for w in widths[:-1])}) \\times 4",
        ),
        Step(
            "masks: B × (n1 + … + n_{L−1}) × 1 byte",
            float(masks),
            f"{batch} \\times ({' + '.join(str(w) for w in widths[1:-1])}) \\times 1",
        ),
        Step("total", float(inputs + masks), r"\text{inputs} + \text{masks}"),
    )
    return Exercise(
        kind="activation_bytes",
        seed=seed,
        title="Activation memory of an MLP",
        prompt=prompt,
        given=(
            Given("B", "B", np.asarray(float(batch)), note="the batch size"),
            Given("widths", "n_0, \\dots, n_L", np.asarray(widths, dtype=np.float64)),
        ),
        fields=(
            AnswerField("input_bytes", r"\text{saved layer inputs (bytes)}", ()),
            AnswerField("mask_bytes", r"\text{ReLU masks (bytes)}", ()),
            AnswerField("total_bytes", r"\text{total (bytes)}", ()),
        ),
        solution={
            "input_bytes": np.asarray(float(inputs)),
            "mask_bytes": np.asarray(float(masks)),
            "total_bytes": np.asarray(float(inputs + masks)),
        },
        steps=steps,
        atol=EXACT_ATOL,
        rtol=0.0,
    )


# (N layers, k segments) with k dividing N, 2 <= k < N.
CHECKPOINT_PLANS = [(n, k) for n in (4, 6, 8, 9, 10, 12, 16) for k in range(2, n) if n % k == 0]
UNIT = 4  # numbers per layer output in the engine run (any width gives the same counts)

CHECKPOINT_MISTAKES = (
    Mistake(
        "recompute_all",
        "recomputed the last segment too, which ran normally and kept its outputs",
        lambda v: {"recompute": float(v["N"])},
    ),
    Mistake(
        "checkpoints_forgotten",
        "counted only the segment being recomputed, not the checkpoints kept meanwhile",
        lambda v: {"peak": float(v["N"]) / float(v["k"])},
    ),
    Mistake(
        "k_checkpoints",
        "counted k checkpoints, but the last segment keeps outputs, not a checkpoint",
        lambda v: {"peak": float(v["k"]) + float(v["N"]) / float(v["k"])},
    ),
    Mistake(
        "no_saving",
        "assumed checkpointing leaves the peak at N",
        lambda v: {"peak": float(v["N"])},
    ),
)


@register(
    "checkpoint_memory",
    "Checkpointing: peak memory and recompute",
    "N layers in k segments: the peak number of stored activations and the layers "
    "recomputed in backward.",
    CHECKPOINT_MISTAKES,
)
def checkpoint_memory(rng: np.random.Generator, seed: int) -> Exercise:
    """tanh layers (each keeps its output) under the engine's checkpoint, measured by counters."""
    n_layers, segments = CHECKPOINT_PLANS[int(rng.integers(len(CHECKPOINT_PLANS)))]
    per_segment = n_layers // segments

    def segment(h: Tensor) -> Tensor:
        for _ in range(per_segment):
            h = tanh(h)
        return h

    with count() as counters:
        h = Tensor(np.zeros(UNIT), requires_grad=True)
        for _ in range(segments - 1):
            h = checkpoint(segment, h)
        segment(h).sum().backward()
    unit_bytes = np.zeros(UNIT).nbytes
    peak = counters.saved_peak / unit_bytes
    recompute = counters.flops["recompute"]["tanh"] / UNIT
    prompt = (
        f"A chain of $N = {n_layers}$ layers is trained with gradient checkpointing in "
        f"$k = {segments}$ segments of $N/k = {per_segment}$ layers. Measure memory in "
        "*activations*: one layer's output is one activation, and each layer keeps its output "
        "for backward. The first $k - 1$ segments are checkpointed: in forward each keeps only "
        "its own input (one activation; for the first segment that is the network input) and "
        "drops its layers' outputs; in backward, just before its gradients are needed, it is "
        "run forward again, keeping its layers' outputs until their gradients are done. The "
        "last segment is not checkpointed: it keeps its layers' outputs from the forward pass. "
        "Backward frees a layer's output as soon as that layer's gradient has been computed. "
        "What is the peak number of activations stored at once, and how many extra layer "
        "evaluations does backward run to recompute?"
    )
    steps = (
        Step("without checkpointing: every layer's output", float(n_layers), "N"),
        Step(
            "peak: k − 1 checkpoints + one segment's outputs",
            float(peak),
            f"(k - 1) + N/k = {segments - 1} + {per_segment}",
        ),
        Step(
            "recompute: every segment but the last, once",
            float(recompute),
            f"N - N/k = {n_layers} - {per_segment}",
        ),
    )
    return Exercise(
        kind="checkpoint_memory",
        seed=seed,
        title="Checkpointing: peak memory and recompute",
        prompt=prompt,
        given=(
            Given("N", "N", np.asarray(float(n_layers)), note="layers"),
            Given("k", "k", np.asarray(float(segments)), note="segments"),
        ),
        fields=(
            AnswerField("peak", r"\text{peak stored activations}", ()),
            AnswerField("recompute", r"\text{extra layer evaluations}", ()),
        ),
        solution={"peak": np.asarray(float(peak)), "recompute": np.asarray(float(recompute))},
        steps=steps,
        atol=EXACT_ATOL,
        rtol=0.0,
    )


def _flops_answer(
    v: Mapping[str, Any], per_mac: int = 2, backward_matmuls: int = 2, batch: bool = True
) -> dict[str, float]:
    widths = [int(w) for w in v["widths"]]
    rows = int(v["B"]) if batch else 1
    forward = per_mac * rows * sum(n * m for n, m in itertools.pairwise(widths))
    backward = backward_matmuls * forward
    return {"forward": forward, "backward": backward, "total": forward + backward}


FLOPS_MISTAKES = (
    Mistake(
        "multiply_adds",
        "counted a multiply-add as one FLOP: Bnm per matmul instead of 2Bnm",
        lambda v: _flops_answer(v, per_mac=1),
    ),
    Mistake(
        "backward_like_forward",
        "counted one matmul per layer in backward (only dX or only dW), not two",
        lambda v: {k: w for k, w in _flops_answer(v, backward_matmuls=1).items() if k != "forward"},
    ),
    Mistake(
        "batch_forgotten",
        "counted one example instead of the batch of B",
        lambda v: _flops_answer(v, batch=False),
    ),
)


@register(
    "mlp_flops",
    "FLOPs of an MLP, forward and backward",
    "Count the matmul FLOPs of a given MLP forward and backward (2Bnm per matmul).",
    FLOPS_MISTAKES,
)
def mlp_flops(rng: np.random.Generator, seed: int) -> Exercise:
    """The engine's counters charge each matmul its multiply-adds; a FLOP here is half of one."""
    batch = int(rng.choice(BATCHES))
    widths = _widths(rng)
    weights = _weights(widths, np.float64)
    x = Tensor(np.zeros((batch, widths[0])), requires_grad=True)  # so every layer computes dX
    with count() as counters:
        out = _mlp(x, weights)
        # A differentiable backward runs the rules on Tensors, so the counters see their matmuls.
        gradients(out.sum(), [x, *weights], create_graph=True)
    forward = 2 * counters.flops["forward"]["linear"]
    backward = 2 * counters.flops["backward"]["linear"]
    prompt = (
        f"An MLP has widths ${_sizes_tex(widths)}$ (linear layers without bias, a ReLU between "
        f"them) and runs on a batch of $B = {batch}$. Count FLOPs by this convention: a matmul "
        "of a $(B\\times n)$ by an $(n\\times m)$ matrix costs $2Bnm$ FLOPs (a multiply and an "
        "add per term); backward through a layer runs two matmuls of the same size, one for "
        "$\\partial L/\\partial X$ (every layer, the first included) and one for "
        "$\\partial L/\\partial W$; elementwise work (ReLU, its mask) is ignored. "
        "Compute the forward FLOPs, the backward FLOPs and the total."
    )
    terms = " + ".join(f"{n}\\cdot{m}" for n, m in itertools.pairwise(widths))
    steps = (
        Step("forward: Σ 2·B·n·m over the layers", float(forward), f"2 \\cdot {batch} ({terms})"),
        Step(
            "backward: dX and dW per layer, 2× forward", float(backward), r"2 \times \text{forward}"
        ),
        Step("total: 3× forward", float(forward + backward), r"3 \times \text{forward}"),
    )
    return Exercise(
        kind="mlp_flops",
        seed=seed,
        title="FLOPs of an MLP, forward and backward",
        prompt=prompt,
        given=(
            Given("B", "B", np.asarray(float(batch)), note="the batch size"),
            Given("widths", "n_0, \\dots, n_L", np.asarray(widths, dtype=np.float64)),
        ),
        fields=(
            AnswerField("forward", r"\text{forward FLOPs}", ()),
            AnswerField("backward", r"\text{backward FLOPs}", ()),
            AnswerField("total", r"\text{total FLOPs}", ()),
        ),
        solution={
            "forward": np.asarray(float(forward)),
            "backward": np.asarray(float(backward)),
            "total": np.asarray(float(forward + backward)),
        },
        steps=steps,
        atol=EXACT_ATOL,
        rtol=0.0,
    )
