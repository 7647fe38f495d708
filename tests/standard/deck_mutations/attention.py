"""Deliberate engine bugs for the rules the attention deck's demos rest on.

Attention bugs patch app/engine/attention.py's helpers, which both scaled_dot_product_attention
and MultiheadAttention look up when they run: _attend (the scale and the dropout), _causal_bias,
_mask_to_bias, MultiheadAttention._project (the head split) and apply_rotary (the demos call it
through the module). Layer-norm bugs patch norm._statistics; FLOP-count bugs patch
Counters.count_op for the ops they target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import attention, norm
from app.engine.counters import Counters
from app.engine.tensor import Tensor
from tests.standard.mutation_kit import TOUCHED, Mutation, class_method, differs, replace

Make = Callable[[Callable[..., Any]], Callable[..., Any]]


# --- the score scale ---------------------------------------------------------------------------
def _scale_bug(kind: str) -> Make:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def attend(q: Any, k: Any, v: Any, bias: Any, scale: float, p: float, gen: Any) -> Any:
            wrong = 1.0 if kind == "none" else scale * scale
            if wrong != scale:
                TOUCHED[0] = True
            return original(q, k, v, bias, wrong, p, gen)

        return attend

    return make


# --- the causal mask ---------------------------------------------------------------------------
def _causal_bug(diagonal: int, upper: bool = False) -> Make:
    def make(original: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        def causal(length: int, source: int, dtype: Any) -> np.ndarray:
            right = original(length, source, dtype)
            ones = np.ones((length, source), dtype=bool)
            allowed = np.triu(ones) if upper else np.tril(ones, k=diagonal)
            wrong = np.where(allowed, 0.0, -np.inf).astype(dtype)
            if differs(right, wrong):
                TOUCHED[0] = True
            return wrong

        return causal

    return make


# --- boolean mask conventions ------------------------------------------------------------------
def _flipped_convention(which: str) -> Make:
    def make(original: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        def to_bias(mask: Any, dtype: Any, true_means: str) -> np.ndarray:
            array = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
            if true_means == which and array.dtype == np.bool_:
                TOUCHED[0] = True
                other = "ignore" if which == "attend" else "attend"
                return original(mask, dtype, other)
            return original(mask, dtype, true_means)

        return to_bias

    return make


# --- the head split ----------------------------------------------------------------------------
def _heads_interleaved(original: Callable[..., tuple]) -> Callable[..., tuple]:
    """Head h takes features h, h + heads, h + 2·heads, ... instead of one contiguous slice."""

    def project(self: Any, query: Any, key: Any, value: Any, packed: bool) -> tuple:
        parts = original(self, query, key, value, packed)
        n, heads, length, hd = parts[0].shape
        wrong = []
        for part in parts:
            merged = part.transpose((0, 2, 1, 3)).reshape((n, length, heads * hd))
            wrong.append(merged.reshape((n, length, hd, heads)).transpose((0, 3, 1, 2)))
        if heads > 1 and hd > 1:
            TOUCHED[0] = True
        return tuple(wrong)

    return project


# --- attention dropout -------------------------------------------------------------------------
def _dropout_bug(kind: str) -> Make:
    """_attend with a wrong dropout; without dropout it is the original."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def attend(q: Any, k: Any, v: Any, bias: Any, scale: float, p: float, gen: Any) -> Any:
            if p == 0.0:
                return original(q, k, v, bias, scale, p, gen)
            TOUCHED[0] = True
            _, weights = original(q, k, v, bias, scale, 0.0, gen)
            rng = gen if gen is not None else np.random.default_rng()
            if kind == "unscaled":
                keep = (rng.random(weights.shape) >= p).astype(weights.dtype)
            else:  # one draw per key, shared by every query row
                shape = (*weights.shape[:-2], 1, weights.shape[-1])
                draw = np.broadcast_to(rng.random(shape), weights.shape)
                keep = (draw >= p).astype(weights.dtype) / (1 - p)
            dropped = weights * keep
            return dropped @ v, dropped

        return attend

    return make


def _eval_keeps_dropout(original: Callable[..., Any]) -> Callable[..., Any]:
    def eval_(self: Any) -> Any:
        if getattr(self, "dropout", 0.0) > 0.0 and self.training:
            TOUCHED[0] = True
        return self  # training stays True: dropout keeps running

    return eval_


# --- rotary embeddings -------------------------------------------------------------------------
def _rotary_bug(kind: str) -> Make:
    def make(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
        def rotary(x: Any, positions: Any, base: float = 10000.0) -> Tensor:
            p = np.asarray(positions, dtype=np.float64)
            if kind == "reversed":
                wrong = original(x, -p, base)
            elif kind == "frequencies":
                wrong = original(x, p, base**0.5)
            else:  # the angle grows with p², so only equal positions keep their dot products
                wrong = original(x, p * p, base)
            right = original(x, positions, base)
            if differs(right, wrong):
                TOUCHED[0] = True
            return wrong

        return rotary

    return make


# --- layer norm's forward ----------------------------------------------------------------------
def _statistics_bug(kind: str) -> Make:
    def make(original: Callable[..., tuple]) -> Callable[..., tuple]:
        def statistics(x: Any, axes: tuple[int, ...], eps: float, center: bool) -> tuple:
            if not center:
                return original(x, axes, eps, center)
            TOUCHED[0] = True
            mean = x.mean(axis=axes, keepdims=True)
            xc = x - mean
            count = int(np.prod([x.shape[a] for a in axes]))
            if kind == "unbiased":
                var = (xc * xc).sum(axis=axes, keepdims=True) * (1.0 / max(count - 1, 1))
                inv_std = (var + eps) ** -0.5
            else:  # ε outside the square root
                var = (xc * xc).mean(axis=axes, keepdims=True)
                inv_std = (var**0.5 + eps) ** -1.0
            return xc * inv_std, inv_std, mean, var

        return statistics

    return make


# --- FLOP counts of products -------------------------------------------------------------------
def _flops_bug(target: str, factor: int) -> Make:
    def make(original: Callable[..., None]) -> Callable[..., None]:
        def count_op(self: Counters, op: str, flops: int) -> None:
            if self.phase == "forward" and op == target and flops:
                TOUCHED[0] = True
                flops *= factor
            original(self, op, flops)

        return count_op

    return make


MUTATIONS: list[Mutation] = [
    Mutation(
        "attention.scale",
        "scores not scaled (scale 1)",
        replace(attention, "_attend", _scale_bug("none")),
    ),
    Mutation(
        "attention.scale",
        "scores divided by E instead of √E",
        replace(attention, "_attend", _scale_bug("squared")),
    ),
    Mutation(
        "attention.causal_mask",
        "the diagonal masked too: a token cannot see itself",
        replace(attention, "_causal_bias", _causal_bug(-1)),
    ),
    Mutation(
        "attention.causal_mask",
        "one future key left visible",
        replace(attention, "_causal_bias", _causal_bug(1)),
    ),
    Mutation(
        "attention.causal_mask",
        "the past masked instead of the future",
        replace(attention, "_causal_bias", _causal_bug(0, upper=True)),
    ),
    Mutation(
        "attention.mask_convention",
        "SDPA reads True as blocked",
        replace(attention, "_mask_to_bias", _flipped_convention("attend")),
    ),
    Mutation(
        "attention.mask_convention",
        "MultiheadAttention reads True as allowed",
        replace(attention, "_mask_to_bias", _flipped_convention("ignore")),
    ),
    Mutation(
        "attention.heads",
        "heads take interleaved features, not contiguous slices",
        class_method(attention.MultiheadAttention, "_project", _heads_interleaved),
    ),
    Mutation(
        "attention.dropout",
        "kept weights not scaled by 1/(1 − p)",
        replace(attention, "_attend", _dropout_bug("unscaled")),
    ),
    Mutation(
        "attention.dropout",
        "one keep/drop draw per key, shared by all queries",
        replace(attention, "_attend", _dropout_bug("per_key")),
    ),
    Mutation(
        "attention.dropout",
        "eval() leaves dropout on",
        class_method(attention.MultiheadAttention, "eval", _eval_keeps_dropout),
    ),
    Mutation(
        "rotary.rotation",
        "rotated by −θ",
        replace(attention, "apply_rotary", _rotary_bug("reversed")),
    ),
    Mutation(
        "rotary.rotation",
        "frequencies base^(−j/D) instead of base^(−2j/D)",
        replace(attention, "apply_rotary", _rotary_bug("frequencies")),
    ),
    Mutation(
        "rotary.rotation",
        "angle p²·θ: not linear in the position",
        replace(attention, "apply_rotary", _rotary_bug("square")),
    ),
    Mutation(
        "layer_norm.forward",
        "unbiased variance (÷ D − 1)",
        replace(norm, "_statistics", _statistics_bug("unbiased")),
    ),
    Mutation(
        "layer_norm.forward",
        "ε added outside the square root",
        replace(norm, "_statistics", _statistics_bug("outside")),
    ),
    Mutation(
        "counters.matmul_flops",
        "matmul: a multiply-add counted as 2 FLOPs",
        class_method(Counters, "count_op", _flops_bug("matmul", 2)),
    ),
    Mutation(
        "counters.matmul_flops",
        "matmul not counted",
        class_method(Counters, "count_op", _flops_bug("matmul", 0)),
    ),
    Mutation(
        "counters.matmul_flops",
        "linear: a multiply-add counted as 2 FLOPs",
        class_method(Counters, "count_op", _flops_bug("linear", 2)),
    ),
]
