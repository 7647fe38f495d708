"""Deliberate engine bugs for the rules the init_norm deck's demos rest on.

The four normalisations share one gradient rule (norm.norm_vjp), so a bug meant for one of them
is planted only in the nodes that op records: `_normalize` is wrapped, and while it builds a node
of the target op the module's norm_vjp is the broken one (the node keeps the rule it was made
with). Initialiser bugs rescale what the real initialiser drew, so the draws are the ones the
wrong formula would give from the same generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import init, norm
from app.engine.tensor import Tensor
from tests.standard.mutation_kit import SKEW, TOUCHED, Mutation, differs, mark_if_changed, replace

Rule = Callable[..., tuple]


def _only_in(op: str, wrong: Callable[..., tuple]) -> Any:
    """A patch of norm._normalize: nodes of `op` get `wrong(original, *rule_args)` as their rule."""

    def make(original_normalize: Callable[..., Any]) -> Callable[..., Any]:
        def patched(op_name: str, *args: Any, **kwargs: Any) -> Any:
            if op_name != op:
                return original_normalize(op_name, *args, **kwargs)
            right = norm.norm_vjp

            def mutated(*rule_args: Any) -> tuple:
                return mark_if_changed(right(*rule_args), wrong(right, *rule_args))

            setattr(norm, "norm_vjp", mutated)  # noqa: B010  (the node keeps what it reads)
            try:
                return original_normalize(op_name, *args, **kwargs)
            finally:
                setattr(norm, "norm_vjp", right)  # noqa: B010

        return patched

    return replace(norm, "_normalize", make)


def _skew(index: int | None) -> Callable[..., tuple]:
    def wrong(original: Rule, *args: Any) -> tuple:
        grads = original(*args)
        return tuple(
            g if g is None or (index is not None and i != index) else g * SKEW
            for i, g in enumerate(grads)
        )

    return wrong


def _upstream_at_xhat(g: Any, xs: tuple, ctx: Any) -> Any:
    return g * xs[1].reshape(ctx.view) if ctx.has_weight else g


def _no_normalisation_terms(
    original: Rule, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    """dx = γ·g/σ: the normalisation treated as a fixed scaling (both mean terms dropped)."""
    grads = list(original(g, xs, out, ctx, need))
    if need[0]:
        grads[0] = _upstream_at_xhat(g, xs, ctx) * ctx.inv_std
    return tuple(grads)


def _no_variance_term(original: Rule, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """dx = γ/σ·(g − mean g): the x̂·mean(g x̂) term, from the variance's dependence on x, lost."""
    grads = list(original(g, xs, out, ctx, need))
    if need[0]:
        gh = _upstream_at_xhat(g, xs, ctx)
        centred = gh - gh.mean(axis=ctx.axes, keepdims=True) if ctx.center else gh
        grads[0] = centred * ctx.inv_std
    return tuple(grads)


def _dgamma_as_sum_g(original: Rule, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """dγ = Σ g, forgetting the x̂ factor (the bias's gradient given to the scale)."""
    grads = list(original(g, xs, out, ctx, need))
    if ctx.has_weight and need[1]:
        grads[1] = norm._to_params(g, ctx)
    return tuple(grads)


def _norm_mutations(op: str, inputs: int) -> list[Mutation]:
    rule = f"{op}.vjp"
    found = [Mutation(rule, "every input's gradient off by 1e-4", _only_in(op, _skew(None)))]
    found += [
        Mutation(rule, f"input {i}'s gradient off by 1e-4", _only_in(op, _skew(i)))
        for i in range(inputs)
    ]
    return found


# --- running statistics ----------------------------------------------------------------------


def _running_bug(kind: str) -> Any:
    """A patch of norm.batch_norm whose running-statistics update is written wrong."""

    def make(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
        def patched(
            input: Any,
            running_mean: Any,
            running_var: Any,
            weight: Any = None,
            bias: Any = None,
            training: bool = False,
            momentum: float = 0.1,
            eps: float = 1e-5,
        ) -> Tensor:
            buffers = [b.data if isinstance(b, Tensor) else b for b in (running_mean, running_var)]
            before = [None if b is None else b.copy() for b in buffers]
            out = original(input, running_mean, running_var, weight, bias, training, momentum, eps)
            if not training or before[0] is None or before[1] is None:
                return out
            x = input.data if isinstance(input, Tensor) else np.asarray(input)
            axes = (0, *range(2, x.ndim))
            count = x.size // x.shape[1]
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            unbiased = var * count / (count - 1)
            m = momentum
            if kind == "biased":
                wrong = [(1 - m) * before[0] + m * mean, (1 - m) * before[1] + m * var]
            elif kind == "swapped":
                wrong = [m * before[0] + (1 - m) * mean, m * before[1] + (1 - m) * unbiased]
            else:
                wrong = [
                    (1 - m) * before[0] + m * mean * SKEW,
                    (1 - m) * before[1] + m * unbiased * SKEW,
                ]
            for buffer, value in zip(buffers, wrong, strict=True):
                assert buffer is not None
                if differs(buffer, value):
                    TOUCHED[0] = True
                buffer[...] = value
            return out

        return patched

    return replace(norm, "batch_norm", make)


# --- initialisers ----------------------------------------------------------------------------


def _rescaled(attribute: str, factor: Callable[..., float]) -> Any:
    """A patch of init.<attribute> that multiplies its draws by factor(tensor, *args, **kw)."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def patched(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            out = original(tensor, *args, **kwargs)
            scale = factor(tensor, *args, **kwargs)
            if scale != 1.0:
                TOUCHED[0] = True
                data = out.data if isinstance(out, Tensor) else out
                data *= scale
            return out

        return patched

    return replace(init, attribute, make)


def _fans(tensor: Any) -> tuple[int, int]:
    return init._calculate_fan_in_and_fan_out(tensor)


def _xavier_fan_in_only(tensor: Any, *args: Any, **kwargs: Any) -> float:
    fan_in, fan_out = _fans(tensor)
    return math.sqrt((fan_in + fan_out) / (2 * fan_in))  # std 1/√fan_in instead of √(2/(fi+fo))


def _xavier_sum_not_mean(tensor: Any, *args: Any, **kwargs: Any) -> float:
    return math.sqrt(0.5)  # Var 1/(fan_in + fan_out): the factor 2 of the mean lost


def _kaiming_gain_dropped(original: Callable[..., Any]) -> Callable[..., Any]:
    """std = 1/√fan whatever the nonlinearity: ReLU's √2 forgotten (LeCun init)."""

    def std(tensor: Any, a: float, mode: str, nonlinearity: str) -> float | None:
        right = original(tensor, a, mode, nonlinearity)
        if right is None:
            return None
        wrong = right / init.calculate_gain(nonlinearity, a)
        if wrong != right:
            TOUCHED[0] = True
        return wrong

    return std


def _kaiming_fan_out(original: Callable[..., Any]) -> Callable[..., Any]:
    """fan_out where fan_in was asked for."""

    def std(tensor: Any, a: float, mode: str, nonlinearity: str) -> float | None:
        right = original(tensor, a, mode, nonlinearity)
        wrong = original(tensor, a, "fan_out" if mode == "fan_in" else "fan_in", nonlinearity)
        if wrong != right:
            TOUCHED[0] = True
        return wrong

    return std


def _kaiming_skewed(original: Callable[..., Any]) -> Callable[..., Any]:
    def std(tensor: Any, a: float, mode: str, nonlinearity: str) -> float | None:
        right = original(tensor, a, mode, nonlinearity)
        if right is None:
            return None
        TOUCHED[0] = True
        return right * SKEW

    return std


def _orthogonal_rows_normalised(original: Callable[..., Any]) -> Callable[..., Any]:
    """Gaussian rows scaled to unit norm but never orthogonalised (no QR)."""

    def orthogonal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
        out = original(tensor, gain, generator)
        data = out.data if isinstance(out, Tensor) else out
        rows = init._rng(generator).standard_normal(data.shape)
        rows /= np.linalg.norm(rows.reshape(len(rows), -1), axis=1).reshape(
            -1, *[1] * (rows.ndim - 1)
        )
        TOUCHED[0] = True
        data[...] = gain * rows
        return out

    return orthogonal_


MUTATIONS: list[Mutation] = [
    *_norm_mutations("batch_norm", 3),
    Mutation(
        "batch_norm.vjp",
        "dx = γ·g/σ: both mean terms dropped",
        _only_in("batch_norm", _no_normalisation_terms),
    ),
    Mutation(
        "batch_norm.vjp",
        "dx without the x̂·mean(g x̂) term",
        _only_in("batch_norm", _no_variance_term),
    ),
    Mutation("batch_norm.vjp", "dγ = Σ g (x̂ forgotten)", _only_in("batch_norm", _dgamma_as_sum_g)),
    *_norm_mutations("layer_norm", 3),
    Mutation(
        "layer_norm.vjp",
        "dx = γ·g/σ: both mean terms dropped",
        _only_in("layer_norm", _no_normalisation_terms),
    ),
    Mutation(
        "layer_norm.vjp",
        "dx without the x̂·mean(g x̂) term",
        _only_in("layer_norm", _no_variance_term),
    ),
    *_norm_mutations("rms_norm", 2),
    Mutation(
        "rms_norm.vjp",
        "dx = γ·g/rms: the x̂·mean(g x̂) term dropped",
        _only_in("rms_norm", _no_normalisation_terms),
    ),
    *_norm_mutations("group_norm", 3),
    Mutation(
        "group_norm.vjp",
        "dx without the x̂·mean(g x̂) term",
        _only_in("group_norm", _no_variance_term),
    ),
    Mutation(
        "batch_norm.running_stats",
        "running_var stores the biased batch variance",
        _running_bug("biased"),
    ),
    Mutation(
        "batch_norm.running_stats",
        "momentum weights swapped: momentum·running + (1 − momentum)·batch",
        _running_bug("swapped"),
    ),
    Mutation("batch_norm.running_stats", "new statistic off by 1e-4", _running_bug("skewed")),
    Mutation(
        "init.xavier_std",
        "std 1/√fan_in (fan_out ignored)",
        _rescaled("xavier_normal_", _xavier_fan_in_only),
    ),
    Mutation(
        "init.xavier_std",
        "Var 1/(fan_in + fan_out): the 2 lost",
        _rescaled("xavier_normal_", _xavier_sum_not_mean),
    ),
    Mutation(
        "init.xavier_std",
        "std off by 1e-4",
        _rescaled("xavier_normal_", lambda *args, **kwargs: SKEW),
    ),
    Mutation(
        "init.kaiming_std",
        "gain dropped: 1/√fan for ReLU",
        replace(init, "_kaiming_std", _kaiming_gain_dropped),
    ),
    Mutation(
        "init.kaiming_std", "fan_out for fan_in", replace(init, "_kaiming_std", _kaiming_fan_out)
    ),
    Mutation("init.kaiming_std", "std off by 1e-4", replace(init, "_kaiming_std", _kaiming_skewed)),
    Mutation(
        "init.orthogonal",
        "rows normalised, never orthogonalised",
        replace(init, "orthogonal_", _orthogonal_rows_normalised),
    ),
    Mutation(
        "init.orthogonal",
        "gain off by 1e-4",
        _rescaled("orthogonal_", lambda *args, **kwargs: SKEW),
    ),
]
