"""Deliberate engine bugs for the rules the losses deck's demos rest on.

softplus.vjp is broken by the activations deck's mutations; the others are here. The loss-level
rules ("losses.*") are broken by swapping a function of app.engine.losses for the slip people
write, so a demo that calls it through the module (`losses.cross_entropy`) meets the bug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import losses, pointwise, reduce, shape
from app.engine.tensor import Tensor
from tests.standard.mutation_kit import (
    TOUCHED,
    Mutation,
    mark_if_changed,
    replace,
    vjp_mutations,
    wrong_rule,
)


def _data(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


# --- textbook slips in op rules ------------------------------------------------------------------
def _abs_no_sign(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    return (g * 1,)  # |x|′ taken as 1: the sign forgotten


def _where_both_branches(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    return (
        shape.unbroadcast(g, xs[0].shape) if need[0] else None,
        shape.unbroadcast(g, xs[1].shape) if need[1] else None,
    )


def _exp_power_rule(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    return (g * xs[0] * (out * np.exp(-1.0)),)  # d/dx e^x "= x e^(x−1)"


def _logsumexp_unnormalised(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    axes, keepdim = ctx
    x = xs[0]
    probs = x.exp() if isinstance(x, Tensor) else np.exp(x)  # e^x, never divided by Σ e^x
    return (reduce._expand(g, x.shape, axes, keepdim) * probs,)


def _getitem_overwrites(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """out[index] = g: repeated indices keep only one gradient instead of their sum."""
    right = original(g, xs, out, ctx, need)
    grad = np.zeros(xs[0].shape, dtype=_data(g).dtype)
    grad[ctx] = _data(g)
    return (Tensor(grad) if isinstance(right[0], Tensor) else grad,)


# --- slips in the losses themselves --------------------------------------------------------------
def _bce_through_sigmoid(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def naive(
        input: Tensor,
        target: Any,
        weight: Any = None,
        reduction: str = "mean",
        pos_weight: Any = None,
    ) -> Tensor:
        right = original(input, target, weight, reduction, pos_weight)
        y = _data(target).astype(input.dtype)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            s = input.sigmoid()
            loss = -(pointwise.log(s) * y + pointwise.log(1 - s) * (1 - y))
            wrong = losses._reduce(loss, reduction)
        return mark_if_changed(right, wrong)

    return naive


def _bce_softplus_sign(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def flipped(
        input: Tensor,
        target: Any,
        weight: Any = None,
        reduction: str = "mean",
        pos_weight: Any = None,
    ) -> Tensor:
        right = original(input, target, weight, reduction, pos_weight)
        from app.engine.activations import softplus

        y = Tensor(_data(target).astype(input.dtype))
        wrong = losses._reduce((1 - y) * input + softplus(input, threshold=float("inf")), reduction)
        return mark_if_changed(right, wrong)

    return flipped


def _smoothing(kind: str) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    def make(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
        def smoothed(
            input: Tensor,
            target: Any,
            weight: Any = None,
            ignore_index: int = -100,
            reduction: str = "mean",
            label_smoothing: float = 0.0,
        ) -> Tensor:
            right = original(input, target, weight, ignore_index, reduction, label_smoothing)
            targets = _data(target)
            if not label_smoothing or targets.dtype.kind not in "iu" or weight is not None:
                return right
            classes = input.shape[1]
            onehot = np.eye(classes)[targets]
            if kind == "others":  # ε spread over the K − 1 wrong classes only
                q = (1 - label_smoothing) * onehot + (1 - onehot) * label_smoothing / (classes - 1)
            else:  # ε accepted and ignored
                q = onehot
            wrong = losses._reduce(-(reduce.log_softmax(input, axis=-1) * q).sum(axis=1), reduction)
            return mark_if_changed(right, wrong)

        return smoothed

    return make


def _nll(kind: str) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    """nll_loss with one slip in its 'mean' or its ignore_index handling."""

    def make(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
        def slipped(
            input: Tensor,
            target: Any,
            weight: Any = None,
            ignore_index: int = -100,
            reduction: str = "mean",
        ) -> Tensor:
            right = original(input, target, weight, ignore_index, reduction)
            targets = _data(target)
            if (kind == "weighted_by_n" and weight is not None and reduction == "mean") or (
                kind == "pad_counted" and reduction == "mean" and (targets == ignore_index).any()
            ):
                wrong = original(input, target, weight, ignore_index, "sum") * (1 / targets.size)
            elif kind == "pad_as_class_0" and (targets == ignore_index).any():
                wrong = original(
                    input,
                    np.where(targets == ignore_index, 0, targets),
                    weight,
                    ignore_index,
                    reduction,
                )
            else:
                return right
            return mark_if_changed(right, wrong)

        return slipped

    return make


def _counted_mean_divided(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """The mean over counted rows as a plain total / count: with every target ignored, 0/0
    gives NaN in the value and in every gradient entry (the engine's old behaviour, not torch's)."""

    def divided(total: Tensor, count: float) -> Tensor:
        right = original(total, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            wrong = total / np.float64(count) if count == 0 else original(total, count)
        return mark_if_changed(right, wrong)

    return divided


def _kl(kind: str) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    def make(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
        def slipped(
            input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False
        ) -> Tensor:
            right = original(input, target, reduction, log_target)
            if kind == "batchmean_as_mean" and reduction == "batchmean":
                wrong = original(input, target, "mean", log_target)
            elif kind == "entropy_dropped" and not log_target:
                pointwise_ = input * -_data(target)  # −p log q: cross-entropy, not KL
                if reduction == "batchmean":
                    wrong = pointwise_.sum() / input.shape[0]
                else:
                    wrong = losses._reduce(pointwise_, reduction)
            else:
                return right
            return mark_if_changed(right, wrong)

        return slipped

    return make


MUTATIONS: list[Mutation] = [
    *vjp_mutations("getitem", shape, "_getitem_vjp", 1),
    Mutation(
        "getitem.vjp",
        "repeated indices overwrite instead of adding",
        wrong_rule(shape, "_getitem_vjp", _getitem_overwrites),
    ),
    *vjp_mutations("abs", pointwise, "abs_vjp", 1),
    Mutation(
        "abs.vjp", "|x|′ = 1, the sign forgotten", wrong_rule(pointwise, "abs_vjp", _abs_no_sign)
    ),
    *vjp_mutations("where", shape, "where_vjp", 2),
    Mutation(
        "where.vjp",
        "g sent to both branches",
        wrong_rule(shape, "where_vjp", _where_both_branches),
    ),
    *vjp_mutations("exp", pointwise, "exp_vjp", 1),
    Mutation(
        "exp.vjp", "the power rule: x·e^(x−1)", wrong_rule(pointwise, "exp_vjp", _exp_power_rule)
    ),
    *vjp_mutations("logsumexp", reduce, "logsumexp_vjp", 1),
    Mutation(
        "logsumexp.vjp",
        "e^x not divided by Σ e^x",
        wrong_rule(reduce, "logsumexp_vjp", _logsumexp_unnormalised),
    ),
    Mutation(
        "losses.bce_logits_stable",
        "computed through log σ(x), which overflows",
        replace(losses, "binary_cross_entropy_with_logits", _bce_through_sigmoid),
    ),
    Mutation(
        "losses.bce_logits_stable",
        "softplus(x) written for softplus(−x)",
        replace(losses, "binary_cross_entropy_with_logits", _bce_softplus_sign),
    ),
    Mutation(
        "losses.label_smoothing",
        "ε spread over the K − 1 other classes",
        replace(losses, "cross_entropy", _smoothing("others")),
    ),
    Mutation(
        "losses.label_smoothing",
        "label_smoothing ignored",
        replace(losses, "cross_entropy", _smoothing("ignored")),
    ),
    Mutation(
        "losses.weighted_mean",
        "weighted 'mean' divided by N, not Σ w[y_i]",
        replace(losses, "nll_loss", _nll("weighted_by_n")),
    ),
    Mutation(
        "losses.ignore_index",
        "ignored rows counted in the mean's denominator",
        replace(losses, "nll_loss", _nll("pad_counted")),
    ),
    Mutation(
        "losses.ignore_index",
        "padding scored as class 0",
        replace(losses, "nll_loss", _nll("pad_as_class_0")),
    ),
    Mutation(
        "losses.ignore_index",
        "all ignored: 0/0 also in the gradient (NaN, not torch's zero)",
        replace(losses, "_counted_mean", _counted_mean_divided),
    ),
    Mutation(
        "losses.kl_batchmean",
        "'batchmean' divides by every element",
        replace(losses, "kl_div", _kl("batchmean_as_mean")),
    ),
    Mutation(
        "losses.kl_batchmean",
        "the target's entropy term dropped (−Σ p log q)",
        replace(losses, "kl_div", _kl("entropy_dropped")),
    ),
]

__all__ = ["MUTATIONS", "TOUCHED"]
