"""Deliberate engine bugs for the rules the regularization deck's demos rest on.

Dropout's forward rules are broken by swapping app.engine.dropout.dropout (which the Dropout
module and the demos call through the module) for the slips people write: the old
non-inverted dropout, the scale (1 − p) for 1/(1 − p), p read as the keep probability, eval
mode that still drops. The optimiser rules are broken inside the step of SGD, Adam and AdamW.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine.optim import SGD, Adam
from app.engine.tensor import Tensor, make
from tests.standard.mutation_kit import (
    SKEW,
    TOUCHED,
    Mutation,
    class_method,
    replace,
    vjp_mutations,
    wrong_rule,
)

dropout_module = importlib.import_module("app.engine.dropout")


# --- dropout's backward -----------------------------------------------------------------------
def _vjp_unscaled(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """g times the 0/1 mask: the 1/(1 − p) of the forward forgotten in backward."""
    return (g * (ctx != 0).astype(float),)


def _vjp_fresh_mask(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """A new mask drawn in backward instead of the forward's own."""
    shuffled = np.random.default_rng(12345).permutation(np.asarray(ctx).reshape(-1))
    return (g * shuffled.reshape(np.shape(ctx)),)


# --- dropout's forward ------------------------------------------------------------------------
def _forward_bug(kind: str) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    """A patch of dropout(input, p, training, generator) with one slip of `kind`."""

    def make_patch(original: Callable[..., Tensor]) -> Callable[..., Tensor]:
        def patched(
            input: Any, p: float = 0.5, training: bool = True, generator: Any = None
        ) -> Tensor:
            x = input if isinstance(input, Tensor) else Tensor(input)
            if kind == "eval_drops":
                if training or p == 0.0:
                    return original(input, p, training, generator)
                TOUCHED[0] = True
                return original(input, p, True, generator)
            if kind == "eval_scaled":
                if training or p == 0.0:
                    return original(input, p, training, generator)
                TOUCHED[0] = True
                out = x.data * (1 - p)
                return make(
                    "dropout",
                    out,
                    (x,),
                    dropout_module.dropout_vjp,
                    dropout_module.dropout_jvp,
                    np.full(x.shape, 1 - p),
                    flops=x.size,
                )
            if not training or p == 0.0 or p == 1.0:
                return original(input, p, training, generator)
            TOUCHED[0] = True
            keep_probability = p if kind == "p_as_keep" else 1 - p
            keep = dropout_module._rng(generator).random(x.shape) < keep_probability
            scale = {
                "unscaled": 1.0,
                "times_keep": 1 - p,
                "p_as_keep": 1 / (1 - p),
                "skewed": SKEW / (1 - p),
            }[kind]
            mask = keep * np.asarray(scale, dtype=x.dtype)
            return make(
                "dropout",
                x.data * mask,
                (x,),
                dropout_module.dropout_vjp,
                dropout_module.dropout_jvp,
                mask,
                flops=x.size,
            )

        return patched

    return make_patch


# --- the optimisers' decay ----------------------------------------------------------------------
def _group_with(change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Callable[..., Any]:
    """A patch of _update that runs the original with a changed parameter group."""

    def make_patch(original: Callable[..., None]) -> Callable[..., None]:
        def update(self: Any, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
            changed = change(group)
            if changed is None:
                return original(self, p, grad, state, group)
            TOUCHED[0] = True
            return original(self, p, grad, state, changed)

        return update

    return make_patch


def _sgd_decay(factor: float) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(group: dict[str, Any]) -> dict[str, Any] | None:
        if not group["weight_decay"]:
            return None
        return {**group, "weight_decay": group["weight_decay"] * factor}

    return change


def _adam_coupled(factor: float, decoupled: bool | None = None) -> Callable[..., Any]:
    """Adam's coupled L2 changed: scaled by factor, or switched to the decoupled rule."""

    def change(group: dict[str, Any]) -> dict[str, Any] | None:
        if not group["weight_decay"] or group["decoupled_weight_decay"]:
            return None
        new = {**group, "weight_decay": group["weight_decay"] * factor}
        if decoupled is not None:
            new["decoupled_weight_decay"] = decoupled
        return new

    return change


def _adamw(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """AdamW's decoupled decay broken: put into the gradient, without lr, or skewed."""

    def make_patch(original: Callable[..., None]) -> Callable[..., None]:
        def update(self: Any, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
            decay = group["weight_decay"]
            if not decay or not group["decoupled_weight_decay"]:
                return original(self, p, grad, state, group)
            TOUCHED[0] = True
            if kind == "coupled":
                return original(self, p, grad, state, {**group, "decoupled_weight_decay": False})
            p.data *= 1 - (decay if kind == "no_lr" else group["lr"] * decay * SKEW)
            return original(self, p, grad, state, {**group, "weight_decay": 0.0})

        return update

    return make_patch


MUTATIONS: list[Mutation] = [
    *vjp_mutations("dropout", dropout_module, "dropout_vjp", 1),
    Mutation(
        "dropout.vjp",
        "backward without the 1/(1 − p)",
        wrong_rule(dropout_module, "dropout_vjp", _vjp_unscaled),
    ),
    Mutation(
        "dropout.vjp",
        "a fresh mask in backward",
        wrong_rule(dropout_module, "dropout_vjp", _vjp_fresh_mask),
    ),
    Mutation(
        "dropout.scaling",
        "survivors not rescaled (non-inverted dropout)",
        replace(dropout_module, "dropout", _forward_bug("unscaled")),
    ),
    Mutation(
        "dropout.scaling",
        "survivors scaled by (1 − p)",
        replace(dropout_module, "dropout", _forward_bug("times_keep")),
    ),
    Mutation(
        "dropout.scaling",
        "p read as the keep probability",
        replace(dropout_module, "dropout", _forward_bug("p_as_keep")),
    ),
    Mutation(
        "dropout.scaling",
        "scale off by 1e-4",
        replace(dropout_module, "dropout", _forward_bug("skewed")),
    ),
    Mutation(
        "dropout.eval_identity",
        "eval mode still drops",
        replace(dropout_module, "dropout", _forward_bug("eval_drops")),
    ),
    Mutation(
        "dropout.eval_identity",
        "eval mode scales by (1 − p) as in non-inverted dropout",
        replace(dropout_module, "dropout", _forward_bug("eval_scaled")),
    ),
    Mutation(
        "optim.weight_decay_l2",
        "SGD adds λθ/2: the ½ of the penalty taken twice",
        class_method(SGD, "_update", _group_with(_sgd_decay(0.5))),
    ),
    Mutation(
        "optim.weight_decay_l2",
        "SGD's decay off by 1e-4",
        class_method(SGD, "_update", _group_with(_sgd_decay(SKEW))),
    ),
    Mutation(
        "optim.weight_decay_l2",
        "Adam's weight_decay applied decoupled, as AdamW's",
        class_method(Adam, "_update", _group_with(_adam_coupled(1.0, decoupled=True))),
    ),
    Mutation(
        "optim.weight_decay_l2",
        "Adam's L2 off by 1e-4",
        class_method(Adam, "_update", _group_with(_adam_coupled(SKEW))),
    ),
    Mutation(
        "optim.decoupled_decay",
        "AdamW's decay put into the gradient (Adam's L2)",
        class_method(Adam, "_update", _adamw("coupled")),
    ),
    Mutation(
        "optim.decoupled_decay",
        "AdamW shrinks by (1 − λ), the learning rate forgotten",
        class_method(Adam, "_update", _adamw("no_lr")),
    ),
    Mutation(
        "optim.decoupled_decay",
        "AdamW's decay off by 1e-4",
        class_method(Adam, "_update", _adamw("skewed")),
    ),
]
