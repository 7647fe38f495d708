"""The attention deck's exercise kinds: each registers on import.

causal_attention_weights: the 3×3 causal softmax weights of scores s_ij = ln a_ij, by hand.
mha_param_count: parameters of nn.MultiheadAttention(E, h) and of a whole GPT block.
kv_cache_bytes: KV-cache bytes per token and for a batch of sequences, with GQA.
training_flops_6nd: training FLOPs 6·N·D and inference FLOPs per token 2·N.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.attention.gpt_block_cost import GptBlock
from app.demos.base import Step
from app.engine import MultiheadAttention, Tensor, softmax
from app.exercises.base import AnswerField, Exercise, Given, Mistake, register
from app.exercises.text import number

KIB, MIB = 2**10, 2**20

# --- causal_attention_weights ----------------------------------------------------------------


def _normalised(a: np.ndarray) -> np.ndarray:
    return a / a.sum(axis=1, keepdims=True)


CAUSAL_MISTAKES = (
    Mistake(
        "no_mask",
        "took the softmax over all keys: the future was not masked",
        lambda v: {"W": _normalised(np.asarray(v["A"], float))},
    ),
    Mistake(
        "zeroed_after_softmax",
        "took the softmax over all keys, then zeroed the future weights without renormalising",
        lambda v: {"W": _normalised(np.asarray(v["A"], float)) * np.tril(np.ones((3, 3)))},
    ),
    Mistake(
        "mask_transposed",
        "masked the past instead of the future (kept keys j ≥ i)",
        lambda v: {"W": _normalised(np.triu(np.asarray(v["A"], float)))},
    ),
)


@register(
    "causal_attention_weights",
    "Causal attention weights by hand",
    "The 3×3 weights softmax(S + M) of a causal mask on scores s_ij = ln a_ij.",
    CAUSAL_MISTAKES,
)
def causal_attention_weights(rng: np.random.Generator, seed: int) -> Exercise:
    """Scores that are logs of small integers, so e^s is the integer itself; the visible part
    of each row sums to a divisor of 400, so every weight is a short decimal."""
    while True:
        a = rng.integers(1, 9, (3, 3)).astype(np.float64)
        sums = np.tril(a).sum(axis=1)
        if all(400 % int(total) == 0 for total in sums):
            break
    bias = np.where(np.tril(np.ones((3, 3))) > 0, 0.0, -np.inf)
    weights = softmax(Tensor(np.log(a) + bias), axis=-1).data
    rows = r" \\ ".join(" & ".join(number(x) for x in row) for row in a)
    prompt = (
        "A decoder's attention scores for 3 tokens are $s_{ij} = \\ln a_{ij}$ with "
        f"$A = \\begin{{pmatrix}} {rows} \\end{{pmatrix}}$ (row $i$ = query, column $j$ = key; "
        "the $1/\\sqrt d$ scale is already in). With causal masking, give the attention weights "
        "$W = \\mathrm{softmax}(S + M)$ row by row (3×3)."
    )
    steps = (
        Step("e^s = A", a),
        Step("causal mask M", bias, r"M_{ij} = -\infty \text{ for } j > i"),
        Step("W", weights, r"W_{ij} = a_{ij} / \sum_{k \le i} a_{ik} \text{ for } j \le i"),
    )
    return Exercise(
        kind="causal_attention_weights",
        seed=seed,
        title="Causal attention weights by hand",
        prompt=prompt,
        given=(Given("A", "A", a),),
        fields=(AnswerField("W", "W", (3, 3)),),
        solution={"W": weights},
        steps=steps,
    )


# --- mha_param_count -------------------------------------------------------------------------


def _counts(v: Mapping[str, Any], attention: Any, mlp: Any, norms: Any) -> dict[str, float]:
    e, h = int(v["E"]), int(v["h"])
    mha = float(attention(e, h))
    return {"mha": mha / 1000, "block": (mha + float(mlp(e)) + float(norms(e))) / 1000}


PARAM_MISTAKES = (
    Mistake(
        "per_head_full_matrices",
        "gave every head its own E×E matrices W_Q, W_K, W_V, W_O",
        lambda v: _counts(
            v, lambda e, h: h * (4 * e * e + 4 * e), lambda e: 8 * e * e + 5 * e, lambda e: 4 * e
        ),
    ),
    Mistake(
        "biases_forgotten",
        "counted the weight matrices only, no biases and no layer-norm parameters",
        lambda v: _counts(v, lambda e, h: 4 * e * e, lambda e: 8 * e * e, lambda e: 0),
    ),
    Mistake(
        "mlp_hidden_e",
        "took the MLP's hidden width as E instead of 4E",
        lambda v: {
            "block": _counts(
                v, lambda e, h: 4 * e * e + 4 * e, lambda e: 2 * e * e + 2 * e, lambda e: 4 * e
            )["block"]
        },
    ),
)


@register(
    "mha_param_count",
    "Parameters of multi-head attention and of a GPT block",
    "nn.MultiheadAttention(E, h) with biases, then a Pre-LN block with a 4E MLP.",
    PARAM_MISTAKES,
)
def mha_param_count(rng: np.random.Generator, seed: int) -> Exercise:
    """E a multiple of 20, so both counts are multiples of 5 (short decimals in thousands); h
    divides it. Small enough that the engine builds both modules and counts them."""
    e = int(rng.choice([20, 40, 60, 80]))
    h = int(rng.choice([h for h in (2, 4, 5, 10) if e % h == 0]))
    mha = sum(p.data.size for p in MultiheadAttention(e, h).parameters())
    block = sum(p.data.size for p in GptBlock(e, np.random.default_rng(0)).parameters())
    prompt = (
        f"Count parameters, in thousands. (a) `nn.MultiheadAttention({e}, {h})` with its "
        f"default biases. (b) A whole Pre-LN GPT block of width $E = {e}$: layer norm, that "
        "attention layer, layer norm, then an MLP `Linear(E, 4E)`, GELU, `Linear(4E, E)` (all "
        "with biases; each layer norm has $\\gamma$ and $\\beta$)."
    )
    steps = (
        Step("attention", float(mha), r"4E^2 + 4E"),
        Step("MLP", float(8 * e * e + 5 * e), r"(4E^2 + 4E) + (4E^2 + E)"),
        Step("two layer norms", float(4 * e), r"2 \cdot 2E"),
        Step("block", float(block), r"12E^2 + 13E"),
        Step("in thousands", np.array([mha, block]) / 1000),
    )
    return Exercise(
        kind="mha_param_count",
        seed=seed,
        title="Parameters of multi-head attention and of a GPT block",
        prompt=prompt,
        given=(Given("E", "E", np.asarray(float(e))), Given("h", "h", np.asarray(float(h)))),
        fields=(
            AnswerField("mha", r"\#\text{attention} / 10^3", ()),
            AnswerField("block", r"\#\text{block} / 10^3", ()),
        ),
        solution={"mha": np.asarray(mha / 1000), "block": np.asarray(block / 1000)},
        steps=steps,
    )


# --- kv_cache_bytes --------------------------------------------------------------------------


def _cache(v: Mapping[str, Any], factor: float = 2, heads: str = "kv", layers: bool = True) -> dict:
    per_token = (
        factor
        * (float(v["layers"]) if layers else 1.0)
        * float(v[heads])
        * float(v["d_head"])
        * float(v["bytes"])
    )
    return {"per_token": per_token / KIB, "total_mib": per_token * float(v["T"]) / MIB}


CACHE_MISTAKES = (
    Mistake(
        "k_only",
        "cached only the keys: the factor 2 for K and V forgotten",
        lambda v: _cache(v, factor=1),
    ),
    Mistake(
        "query_heads",
        "used the number of query heads instead of K/V heads",
        lambda v: _cache(v, heads="heads"),
    ),
    Mistake(
        "one_layer",
        "counted one layer's cache, not every layer's",
        lambda v: _cache(v, layers=False),
    ),
    Mistake(
        "qkv_cached",
        "cached queries too: 3 vectors per head instead of 2",
        lambda v: _cache(v, factor=3),
    ),
)


@register(
    "kv_cache_bytes",
    "KV-cache bytes with grouped-query attention",
    "KiB per token and MiB per sequence: 2 · layers · K/V heads · head size · bytes.",
    CACHE_MISTAKES,
)
def kv_cache_bytes(rng: np.random.Generator, seed: int) -> Exercise:
    """A decoder with GQA (fewer K/V heads than query heads) in float16 or float32; sizes
    drawn so both answers are short numbers (KiB per token, MiB per sequence)."""
    while True:
        layers = int(rng.choice([12, 16, 24, 32]))
        heads = int(rng.choice([16, 32]))
        kv = int(rng.choice([1, 2, 4]))
        d_head = int(rng.choice([64, 128]))
        size = int(rng.choice([2, 4]))
        tokens = int(rng.choice([256, 512, 1024, 2048]))
        dtype = np.float16 if size == 2 else np.float32
        # One token's cache, as arrays: (K and V, layers, K/V heads, head size).
        per_token = float(np.zeros((2, layers, kv, d_head), dtype=dtype).nbytes)
        if per_token / KIB <= 100 and per_token * tokens / MIB <= 100:
            break
    total = per_token * tokens / MIB
    name = "float16" if size == 2 else "float32"
    prompt = (
        f"A decoder has {layers} layers, {heads} query heads and {kv} key/value heads "
        f"(grouped-query attention), head size {d_head}, and keeps its KV cache in {name} "
        f"({size} bytes). Give the cache's size per token in KiB ($2^{{10}}$ bytes), and for "
        f"one sequence of {tokens} tokens in MiB ($2^{{20}}$ bytes)."
    )
    steps = (
        Step(
            "bytes per token", per_token, r"2\, n_\text{layers}\, n_\text{kv}\, d_\text{head}\, b"
        ),
        Step("KiB per token", per_token / KIB),
        Step("MiB for the sequence", total, r"\text{bytes/token}\cdot T / 2^{20}"),
    )
    given = tuple(
        Given(key, label, np.asarray(float(value)))
        for key, label, value in (
            ("layers", r"n_\text{layers}", layers),
            ("heads", "H", heads),
            ("kv", "G", kv),
            ("d_head", r"d_\text{head}", d_head),
            ("bytes", "b", size),
            ("T", "T", tokens),
        )
    )
    return Exercise(
        kind="kv_cache_bytes",
        seed=seed,
        title="KV-cache bytes with grouped-query attention",
        prompt=prompt,
        given=given,
        fields=(
            AnswerField("per_token", r"\text{KiB/token}", ()),
            AnswerField("total_mib", r"\text{MiB}", ()),
        ),
        solution={"per_token": np.asarray(per_token / KIB), "total_mib": np.asarray(total)},
        steps=steps,
    )


# --- training_flops_6nd ----------------------------------------------------------------------


def _flops(v: Mapping[str, Any], train: float, infer: float) -> dict[str, float]:
    n, d = float(v["N"]) * 1e6, float(v["D"]) * 1e9
    return {"train": train * n * d / 1e18, "infer": infer * n / 1e9}


FLOP_MISTAKES = (
    Mistake(
        "forward_only",
        "counted the forward pass only: 2ND",
        lambda v: {"train": _flops(v, 2, 2)["train"]},
    ),
    Mistake(
        "multiply_adds",
        "counted multiply-adds, not FLOPs: 3ND and N per token",
        lambda v: _flops(v, 3, 1),
    ),
    Mistake(
        "backward_like_forward",
        "took backward to cost the same as forward: 4ND",
        lambda v: {"train": _flops(v, 4, 2)["train"]},
    ),
    Mistake(
        "training_rate_at_inference",
        "used 6N per token for inference too",
        lambda v: {"infer": _flops(v, 6, 6)["infer"]},
    ),
)


@register(
    "training_flops_6nd",
    "Training and inference FLOPs of a GPT",
    "C = 6·N·D to train (in units of 10^18), 2·N per generated token (in GFLOPs).",
    FLOP_MISTAKES,
)
def training_flops_6nd(rng: np.random.Generator, seed: int) -> Exercise:
    """N in millions and D in billions of tokens; attention's L-dependent term is ignored."""
    n_millions = float(rng.choice([125, 350, 760, 1300]))
    d_billions = float(rng.choice([2, 5, 10]))
    train = 6 * n_millions * 1e6 * d_billions * 1e9 / 1e18
    infer = 2 * n_millions * 1e6 / 1e9
    prompt = (
        f"A GPT with $N = {number(n_millions)}$ million parameters is trained on "
        f"$D = {number(d_billions)}$ billion tokens. Using the standard estimate (each parameter "
        "costs one multiply-add per token forward and two backward; ignore attention's "
        "sequence-length term), give the training compute in units of $10^{18}$ FLOPs, and the "
        "forward FLOPs per generated token at inference in GFLOPs ($10^9$)."
    )
    steps = (
        Step("training FLOPs / 1e18", train, r"6ND"),
        Step("inference GFLOPs per token", infer, r"2N"),
    )
    return Exercise(
        kind="training_flops_6nd",
        seed=seed,
        title="Training and inference FLOPs of a GPT",
        prompt=prompt,
        given=(
            Given("N", r"N / 10^6", np.asarray(n_millions)),
            Given("D", r"D / 10^9", np.asarray(d_billions)),
        ),
        fields=(
            AnswerField("train", r"C / 10^{18}", ()),
            AnswerField("infer", r"\text{GFLOPs/token}", ()),
        ),
        solution={"train": np.asarray(train), "infer": np.asarray(infer)},
        steps=steps,
    )
