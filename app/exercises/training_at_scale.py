"""Exercise kinds of the training-at-scale deck: each registers on import.

zero_memory_per_device: GB per device of mixed-precision Adam under DP and ZeRO-1/2/3.
grad_scaler_schedule: GradScaler's scale and skipped steps over a run with some overflows.
token_weighted_loss: the full-batch loss from micro-batch means, and the naive recipe's error.
mfu_from_throughput: MFU and HFU from model size, throughput and peak FLOP/s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor
from app.exercises.base import AnswerField, Exercise, Given, Mistake, register
from app.exercises.text import number

# --- zero_memory_per_device ------------------------------------------------------------------

# Friendly numbers: every answer is a multiple of 1/16 GB, at most 96.
PSI_BILLIONS = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
DEVICES = [4, 8, 16, 32]


def _zero_gb(
    v: Mapping[str, Any], weight: float = 2, grad: float = 2, k: float = 12, **changes: Any
) -> dict[str, float]:
    """GB per device for DP and ZeRO-1/2/3 with these bytes per parameter."""
    psi, n = float(v["psi"]), float(v["N"])
    out = {
        "dp": (weight + grad + k) * psi,
        "zero1": (weight + grad) * psi + k * psi / n,
        "zero2": weight * psi + (grad + k) * psi / n,
        "zero3": (weight + grad + k) * psi / n,
    }
    out.update(changes)
    return out


ZERO_MISTAKES = (
    Mistake(
        "master_copy_forgotten",
        "counted Adam's state as m and v only (K = 8), leaving out the fp32 master weights",
        lambda v: _zero_gb(v, k=8),
    ),
    Mistake(
        "fp32_gradients",
        "stored the gradients in 4 bytes instead of fp16's 2",
        lambda v: _zero_gb(v, grad=4),
    ),
    Mistake(
        "stage1_shards_gradients",
        "let ZeRO-1 shard the gradients too (that is ZeRO-2)",
        lambda v: {"zero1": 2 * float(v["psi"]) + 14 * float(v["psi"]) / float(v["N"])},
    ),
    Mistake(
        "stage3_not_divided",
        "did not divide anything by N in ZeRO-3",
        lambda v: {"zero3": 16 * float(v["psi"])},
    ),
)


@register(
    "zero_memory_per_device",
    "Memory per device with ZeRO",
    "GB per device of mixed-precision Adam (2 + 2 + 12 bytes per parameter) under DP, ZeRO-1/2/3.",
    ZERO_MISTAKES,
)
def zero_memory_per_device(rng: np.random.Generator, seed: int) -> Exercise:
    """Ψ billion parameters on N data-parallel devices."""
    psi = float(rng.choice(PSI_BILLIONS))
    n = int(rng.choice(DEVICES))
    # The engine's arrays give the bytes per parameter of each buffer.
    weight, grad, master = (
        Tensor(np.zeros(1, dtype=t)).data.itemsize for t in (np.float16, np.float16, np.float32)
    )
    k = 3 * master  # fp32 master, m and v
    gb = _zero_gb({"psi": psi, "N": n}, weight, grad, k)
    prompt = (
        f"A model with $\\Psi = {number(psi)}$ billion parameters is trained with mixed-precision "
        f"Adam (fp16 weights and gradients, fp32 master weights, $m$ and $v$) on $N = {n}$ "
        "data-parallel devices. Give the GB (10⁹ bytes) of weights, gradients and optimizer "
        "state on one device with plain data parallelism and with ZeRO stages 1, 2 and 3 "
        "(activations not counted)."
    )
    steps = (
        Step("bytes per parameter", weight + grad + k, r"2 + 2 + K,\; K = 12"),
        Step("data parallel", gb["dp"], r"16\,\Psi"),
        Step("ZeRO-1", gb["zero1"], r"4\Psi + 12\Psi/N"),
        Step("ZeRO-2", gb["zero2"], r"2\Psi + 14\Psi/N"),
        Step("ZeRO-3", gb["zero3"], r"16\Psi/N"),
    )
    return Exercise(
        kind="zero_memory_per_device",
        seed=seed,
        title="Memory per device with ZeRO",
        prompt=prompt,
        given=(Given("psi", r"\Psi", np.asarray(psi)), Given("N", "N", np.asarray(float(n)))),
        fields=tuple(
            AnswerField(name, label, ())
            for name, label in (
                ("dp", r"\text{DP (GB)}"),
                ("zero1", r"\text{ZeRO-1 (GB)}"),
                ("zero2", r"\text{ZeRO-2 (GB)}"),
                ("zero3", r"\text{ZeRO-3 (GB)}"),
            )
        ),
        solution={name: np.asarray(value) for name, value in gb.items()},
        steps=steps,
    )


# --- grad_scaler_schedule --------------------------------------------------------------------


def _scaler(v: Mapping[str, Any], kind: str = "right") -> dict[str, float]:
    """GradScaler's log₂ scale and skipped steps after the flagged steps (1 = inf found)."""
    log_scale, tracker, skipped = float(v["k"]), 0, 0
    interval = int(v["G"])
    for flag in np.asarray(v["flags"]).astype(int):
        if flag:
            log_scale -= 1  # backoff_factor 0.5
            skipped += 1
            tracker = tracker if kind == "counter_not_reset" else 0
        else:
            tracker += 1
            if kind == "grow_every_step" or tracker == interval:
                log_scale += 1  # growth_factor 2
                tracker = 0
    return {"log2_scale": log_scale, "skipped": float(skipped)}


SCALER_MISTAKES = (
    Mistake(
        "counter_not_reset",
        "kept counting clean steps across an overflow instead of starting again from 0",
        lambda v: {"log2_scale": _scaler(v, "counter_not_reset")["log2_scale"]},
    ),
    Mistake(
        "grow_every_step",
        "doubled the scale after every clean step, ignoring growth_interval",
        lambda v: {"log2_scale": _scaler(v, "grow_every_step")["log2_scale"]},
    ),
    Mistake(
        "no_skip",
        "applied the optimizer step even when the gradients held an inf",
        lambda v: {"skipped": 0.0},
    ),
)


@register(
    "grad_scaler_schedule",
    "GradScaler's scale over a run",
    "The loss scale and the skipped steps after a sequence of clean and overflowing steps.",
    SCALER_MISTAKES,
)
def grad_scaler_schedule(rng: np.random.Generator, seed: int) -> Exercise:
    """Eight steps of GradScaler with a small growth_interval."""
    k = int(rng.integers(10, 17))
    interval = int(rng.integers(2, 4))
    flags = (rng.random(8) < 0.35).astype(float)
    flags[int(rng.integers(0, 8))] = 1.0  # at least one overflow
    result = _scaler({"k": k, "G": interval, "flags": flags})
    pattern = ", ".join("inf" if f else "ok" for f in flags)
    prompt = (
        f"`torch.amp.GradScaler(init_scale=2**{k}, growth_factor=2, backoff_factor=0.5, "
        f"growth_interval={interval})` sees 8 steps; after each backward the gradients were, in "
        f"order: {pattern} (inf: an inf or NaN was found). Give $\\log_2$ of the scale after "
        "the 8th `update()`, and how many optimizer steps were skipped."
    )
    steps = (
        Step("flags (1 = inf found)", flags),
        Step("log₂ scale after the run", result["log2_scale"]),
        Step("skipped steps", result["skipped"], r"\#\{\text{inf}\}"),
    )
    return Exercise(
        kind="grad_scaler_schedule",
        seed=seed,
        title="GradScaler's scale over a run",
        prompt=prompt,
        given=(
            Given("k", "k", np.asarray(float(k))),
            Given("G", "G", np.asarray(float(interval))),
            Given("flags", r"\text{flags}", flags),
        ),
        fields=(
            AnswerField("log2_scale", r"\log_2 S", ()),
            AnswerField("skipped", r"\text{skipped}", ()),
        ),
        solution={name: np.asarray(value) for name, value in result.items()},
        steps=steps,
        atol=0.5,
        rtol=0.0,
    )


# --- token_weighted_loss ---------------------------------------------------------------------


def _token(v: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(v["T"], float), np.asarray(v["l"], float)


TOKEN_MISTAKES = (
    Mistake(
        "mean_of_means",
        "averaged the micro-batch means, ignoring their token counts",
        lambda v: {"full": float(_token(v)[1].mean())},
    ),
    Mistake(
        "divided_by_k",
        "divided the summed token losses by k instead of by the token count",
        lambda v: {"full": float((_token(v)[0] * _token(v)[1]).sum() / len(_token(v)[0]))},
    ),
    Mistake(
        "ratio_inverted",
        "gave k·T_min/T instead of T/(k·T_min)",
        lambda v: {"weight": float(len(_token(v)[0]) * _token(v)[0].min() / _token(v)[0].sum())},
    ),
)


@register(
    "token_weighted_loss",
    "Accumulated loss over micro-batches of unequal length",
    "The full-batch token mean from per-micro-batch means, and the naive recipe's over-weighting.",
    TOKEN_MISTAKES,
)
def token_weighted_loss(rng: np.random.Generator, seed: int) -> Exercise:
    """Four micro-batches with T_i real tokens (20 in all) and mean token losses ℓ_i."""
    while True:  # distinct counts summing to 20, whose smallest keeps T/(k·T_min) friendly
        counts = np.sort(rng.choice(np.arange(1, 12), 4, replace=False)).astype(float)
        if counts.sum() == 20 and counts.min() != 3:
            break
    means = rng.integers(2, 13, 4) / 4.0
    t, ell = Tensor(counts), Tensor(means)
    full = float(((t * ell).sum() / t.sum()).item())
    weight = float(counts.sum() / (4 * counts.min()))
    prompt = (
        "Gradient accumulation over $k = 4$ micro-batches of padded sequences. Micro-batch $i$ "
        f"has $T_i = {', '.join(number(c) for c in counts)}$ real tokens and mean token loss "
        f"$\\ell_i = {', '.join(number(m) for m in means)}$. Give the loss of the whole batch "
        "(the mean over all its real tokens), and by what factor the usual recipe "
        "`(mean_loss / k).backward()` over-weights a token of the micro-batch with the fewest "
        "tokens, relative to the whole batch's $1/T$."
    )
    steps = (
        Step("total tokens", counts.sum(), r"T = \sum_i T_i"),
        Step("whole-batch loss", full, r"\frac{\sum_i T_i \ell_i}{T}"),
        Step(
            "weight of a token in the shortest micro-batch, × T", weight, r"\frac{T}{k\,T_{\min}}"
        ),
    )
    return Exercise(
        kind="token_weighted_loss",
        seed=seed,
        title="Accumulated loss over micro-batches of unequal length",
        prompt=prompt,
        given=(Given("T", "T_i", counts), Given("l", r"\ell_i", means)),
        fields=(
            AnswerField("full", "L", ()),
            AnswerField("weight", r"\text{factor}", ()),
        ),
        solution={"full": np.asarray(full), "weight": np.asarray(weight)},
        steps=steps,
    )


# --- mfu_from_throughput ---------------------------------------------------------------------


def _mfu(v: Mapping[str, Any], flops_per_token: float) -> float:
    return flops_per_token * float(v["N"]) * 1e9 * float(v["tps"]) / (float(v["peak"]) * 1e12)


MFU_MISTAKES = (
    Mistake(
        "forward_only",
        "counted 2N FLOPs per token (the forward only)",
        lambda v: {"mfu": _mfu(v, 2)},
    ),
    Mistake(
        "multiply_adds",
        "counted 3N per token: multiply-adds, not FLOPs",
        lambda v: {"mfu": _mfu(v, 3)},
    ),
    Mistake(
        "recompute_in_mfu",
        "counted the recomputed forward (8N) in MFU",
        lambda v: {"mfu": _mfu(v, 8)},
    ),
    Mistake(
        "hfu_without_recompute",
        "gave HFU equal to MFU, forgetting the replayed forward",
        lambda v: {"hfu": _mfu(v, 6)},
    ),
)


@register(
    "mfu_from_throughput",
    "Model FLOPs utilisation of a run",
    "MFU from 6N FLOPs per token, and HFU with full activation recomputation (8N).",
    MFU_MISTAKES,
)
def mfu_from_throughput(rng: np.random.Generator, seed: int) -> Exercise:
    """N billion parameters, tokens/s per accelerator, peak TFLOP/s."""
    n = float(rng.choice([1.0, 2.0, 4.0, 8.0, 16.0]))  # powers of 2: tokens/s stays exact
    peak = float(rng.choice([312.0, 400.0]))  # dense peak TFLOP/s
    # The MFU the throughput is chosen to give (multiples of 3/40, so that HFU = 4/3·MFU is a
    # short decimal too); the throughput is shown to 6 digits, plenty for 3 in the answer.
    target = float(rng.choice([0.15, 0.3, 0.375, 0.45, 0.6]))
    tps = float(f"{target * peak * 1e12 / (6 * n * 1e9):.6g}")
    # 6N per token: the engine's counters give 1 + 2 multiply-adds per weight (forward,
    # backward) and 2 FLOPs per multiply-add.
    per_token = 2 * 3
    values = {"N": n, "tps": tps, "peak": peak}
    mfu = _mfu(values, per_token)
    hfu = _mfu(values, per_token + 2)
    prompt = (
        f"A ${number(n)}$B-parameter dense model trains at {number(tps)} tokens/s per "
        f"accelerator, whose dense peak is {number(peak)} TFLOP/s. Using $6N$ FLOPs per token, "
        "give its MFU (a fraction, e.g. 0.4), and its HFU if every layer's forward is "
        "recomputed in backward (full activation checkpointing)."
    )
    steps = (
        Step("model FLOP/s", 6 * n * 1e9 * tps, r"6N\cdot\text{tokens/s}"),
        Step("MFU", mfu, r"\frac{6N\cdot\text{tokens/s}}{\text{peak}}"),
        Step("HFU with full recompute", hfu, r"\frac{8N\cdot\text{tokens/s}}{\text{peak}}"),
    )
    return Exercise(
        kind="mfu_from_throughput",
        seed=seed,
        title="Model FLOPs utilisation of a run",
        prompt=prompt,
        given=(
            Given("N", "N", np.asarray(n)),
            Given("tps", r"\text{tokens/s}", np.asarray(tps)),
            Given("peak", r"\text{peak}", np.asarray(peak)),
        ),
        fields=(AnswerField("mfu", r"\text{MFU}", ()), AnswerField("hfu", r"\text{HFU}", ())),
        solution={"mfu": np.asarray(mfu), "hfu": np.asarray(hfu)},
        steps=steps,
    )
