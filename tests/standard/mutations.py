"""Deliberate engine bugs, by the rule each one breaks (the names of app/demos/rules.py).

Each mutation patches one module attribute for the length of a test. Op rules are looked up by
name when an op runs (`make("tanh", ..., tanh_vjp, ...)` reads the module global), so patching
`pointwise.tanh_vjp` changes every tanh recorded afterwards, in demos and tests alike. The bugs
are the ones people really write: a rule off by 1e-4, a textbook slip (σ′ = 1 − σ, the missing
factor 2 of the squared error), a term left out, overwrite instead of accumulate.

The backprop deck's rules are broken here; each later deck adds its own in
tests/standard/deck_mutations/<deck>.py, and MUTATIONS gathers them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine import arith, autograd, counters, losses, pointwise, reduce
from app.engine.counters import Counters
from app.engine.tensor import Tensor
from tests.standard import deck_mutations
from tests.standard.mutation_kit import (
    TOUCHED,
    Mutation,
    class_method,
    jvp_mutation,
    replace,
    reset_touched,
    swap,
    vjp_mutations,
    wrong_rule,
    zeros_like,
)

# app.engine re-exports the checkpoint function under the module's name, so import the module.
checkpoint_module = importlib.import_module("app.engine.checkpoint")

__all__ = ["MUTATIONS", "TOUCHED", "Mutation", "mutations_of", "reset_touched"]


# --- textbook slips in gradient rules ------------------------------------------------------------
def _sigmoid_one_minus_s(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    return (g * (1 - out),)


def _sigmoid_zero(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    return (g * 0,)


def _tanh_one_minus_t(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    return (g * (1 - out),)


def _relu_no_mask(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    return (g * 1,)


def _relu_mask_at_zero_one(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    mask = xs[0] >= 0
    return (g * (mask.data if isinstance(mask, Tensor) else mask),)


def _mse_half_convention(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    prediction, target = xs
    scaled = (prediction - target) * (g * (1 / prediction.size))
    return (scaled if need[0] else None, -scaled if need[1] else None)


def _mean_as_sum(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    axes, keepdims, _count = ctx
    return (reduce._expand(g, xs[0].shape, axes, keepdims),)


def _softmax_diagonal_only(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    return (out * g,)


def _log_softmax_identity(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    return (g * 1,)


def _linear_bias_mean(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """db as the batch mean of G instead of its sum: the layer's mean-vs-sum slip."""
    grads = list(original(g, xs, out, ctx, need))
    if len(grads) == 3 and grads[2] is not None:
        grads[2] = grads[2] * (1 / max(1, int(np.prod(g.shape[:-1]))))
    return tuple(grads)


def _add_second_input_dropped(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    a, b = xs
    return (
        arith.unbroadcast(g, a.shape) if need[0] else None,
        zeros_like(arith.unbroadcast(g, b.shape)) if need[1] else None,
    )


def _mul_swapped(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    a, b = xs
    return (
        arith.unbroadcast(g * a, a.shape) if need[0] else None,
        arith.unbroadcast(g * b, b.shape) if need[1] else None,
    )


def _pow_missing_exponent(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    a, b = xs
    return (
        arith.unbroadcast(g * a ** (b - 1), a.shape) if need[0] else None,
        zeros_like(b) if need[1] else None,
    )


# --- broken mechanics -----------------------------------------------------------------------------
def _fan_out_overwrites(grads: dict, node: Tensor, g: Any) -> None:
    if grads.get(node) is not None:
        TOUCHED[0] = True
    grads[node] = g  # the last consumer's gradient replaces the earlier ones


def _accumulate_overwrites(node: Tensor, g: Any) -> None:
    array = g.data if isinstance(g, Tensor) else g
    if node.grad is not None:
        TOUCHED[0] = True
    node.grad = np.array(array, dtype=node.data.dtype)


def _order_breadth_first(root: Any, stop: frozenset = frozenset()) -> list[Tensor]:
    """Breadth-first from the output: a node shared by two paths can run before its last
    consumer has handed it a gradient (the order backward needs is reverse topological)."""
    roots = [root] if isinstance(root, Tensor) else list(root)
    seen: list[Tensor] = []
    queue = [r for r in roots if r.requires_grad]
    visited = set(queue)
    while queue:
        node = queue.pop(0)
        seen.append(node)
        for parent in () if node in stop else node._parents:
            if parent.requires_grad and parent not in visited:
                visited.add(parent)
                queue.append(parent)
    wrong = seen[::-1]  # run_backward pops from the end: the output first
    if wrong != _right_order(root, stop):
        TOUCHED[0] = True
    return wrong


_right_order = autograd.topological_order


def _never_free(node: Tensor) -> None:
    TOUCHED[0] = True


def _apply_rule_ignoring_need(node: Tensor, g: Any, grads: dict, tensor_mode: bool) -> None:
    """Every rule computes every input's gradient, wanted or not (a first layer pays for dX)."""
    parents = node._parents
    need = (True,) * len(parents)
    if not all(p.requires_grad for p in parents):
        TOUCHED[0] = True
    if tensor_mode:
        with counters.phase("backward", node._op):
            parent_grads = node._vjp(g, parents, node, node._ctx, need)  # type: ignore[misc]
    else:
        values = tuple(p.data for p in parents)
        parent_grads = node._vjp(g, values, node.data, node._ctx, need)  # type: ignore[misc]
    for parent, parent_grad in zip(parents, parent_grads, strict=True):
        if parent_grad is not None and parent.requires_grad:
            autograd._add(grads, parent, parent_grad)


def _backward_flops_doubled(original: Callable[..., None]) -> Callable[..., None]:
    def count_op(self: Counters, op: str, flops: int) -> None:
        if self.phase == "backward" and flops:
            TOUCHED[0] = True
        original(self, op, flops * (2 if self.phase == "backward" else 1))

    return count_op


def _recompute_charged_to_backward(original: Callable[..., Any]) -> Callable[..., Any]:
    def count_op(self: Counters, op: str, flops: int) -> None:
        if self.phase == "recompute":
            TOUCHED[0] = True
            self.flops["backward"][op] += flops
            return
        original(self, op, flops)

    return count_op


def _save_without_dedup(original: Callable[..., int]) -> Callable[..., int]:
    def save(self: Counters, arrays: tuple) -> int:
        added = sum(a.nbytes for a in arrays)
        if any(id(a) in self._live for a in arrays):
            TOUCHED[0] = True
        for array in arrays:
            self._live.setdefault(id(array), [array, 0])[1] += 1
        self.saved_live += added
        self.saved_total += added
        self.saved_peak = max(self.saved_peak, self.saved_live)
        return added

    return save


def _save_counts_elements(original: Callable[..., int]) -> Callable[..., int]:
    def save(self: Counters, arrays: tuple) -> int:
        if any(a.itemsize > 1 for a in arrays):
            TOUCHED[0] = True
        return original(self, tuple(a.reshape(-1).view(np.uint8)[: a.size] for a in arrays))

    return save


def _checkpoint_keeps_intermediates(original: Any) -> Any:
    from app.engine.tensor import enable_grad

    def recording() -> Any:
        TOUCHED[0] = True
        return enable_grad()

    return recording


def _checkpoint_replay_not_accumulated(original: Callable[..., tuple]) -> Callable[..., tuple]:
    def vjp(g: Any, xs: tuple, out: Any, fn: Any, need: tuple) -> tuple:
        accumulating = autograd.STATE.accumulating
        TOUCHED[0] = TOUCHED[0] or accumulating
        autograd.STATE.accumulating = False  # parameters inside the segment get no .grad
        try:
            return original(g, xs, out, fn, need)
        finally:
            autograd.STATE.accumulating = accumulating

    return vjp


BACKPROP_MUTATIONS: list[Mutation] = [
    *vjp_mutations("add", arith, "add_vjp", 2),
    Mutation(
        "add.vjp",
        "second input gets no gradient",
        wrong_rule(arith, "add_vjp", _add_second_input_dropped),
    ),
    *vjp_mutations("mul", arith, "mul_vjp", 2),
    Mutation(
        "mul.vjp", "each input gets g times itself", wrong_rule(arith, "mul_vjp", _mul_swapped)
    ),
    *vjp_mutations("pow", arith, "pow_vjp", 1),
    Mutation(
        "pow.vjp",
        "the exponent's factor b dropped",
        wrong_rule(arith, "pow_vjp", _pow_missing_exponent),
    ),
    *vjp_mutations("matmul", arith, "matmul_vjp", 2),
    *vjp_mutations("linear", arith, "linear_vjp", 3),
    Mutation(
        "linear.vjp",
        "db the batch mean of G, not its sum",
        wrong_rule(arith, "linear_vjp", _linear_bias_mean),
    ),
    *vjp_mutations("tanh", pointwise, "tanh_vjp", 1),
    Mutation("tanh.vjp", "tanh′ = 1 − t", wrong_rule(pointwise, "tanh_vjp", _tanh_one_minus_t)),
    *vjp_mutations("sigmoid", pointwise, "sigmoid_vjp", 1),
    Mutation(
        "sigmoid.vjp", "σ′ = 1 − σ", wrong_rule(pointwise, "sigmoid_vjp", _sigmoid_one_minus_s)
    ),
    Mutation("sigmoid.vjp", "σ′ = 0", wrong_rule(pointwise, "sigmoid_vjp", _sigmoid_zero)),
    *vjp_mutations("relu", pointwise, "relu_vjp", 1),
    Mutation(
        "relu.vjp",
        "no mask: the gradient passes everywhere",
        wrong_rule(pointwise, "relu_vjp", _relu_no_mask),
    ),
    Mutation(
        "relu.vjp",
        "mask z ≥ 0 (1 at zero)",
        wrong_rule(pointwise, "relu_vjp", _relu_mask_at_zero_one),
    ),
    *vjp_mutations("sum", reduce, "sum_vjp", 1),
    *vjp_mutations("mean", reduce, "mean_vjp", 1),
    Mutation("mean.vjp", "the 1/n forgotten", wrong_rule(reduce, "mean_vjp", _mean_as_sum)),
    *vjp_mutations("softmax", reduce, "softmax_vjp", 1),
    Mutation(
        "softmax.vjp",
        "only the diagonal p ⊙ g",
        wrong_rule(reduce, "softmax_vjp", _softmax_diagonal_only),
    ),
    *vjp_mutations("log_softmax", reduce, "log_softmax_vjp", 1),
    Mutation(
        "log_softmax.vjp",
        "the − p Σg term forgotten",
        wrong_rule(reduce, "log_softmax_vjp", _log_softmax_identity),
    ),
    *vjp_mutations("mse_loss", losses, "mse_vjp", 1),
    Mutation(
        "mse_loss.vjp",
        "the ½ convention: (p − t)/n",
        wrong_rule(losses, "mse_vjp", _mse_half_convention),
    ),
    jvp_mutation("add", arith, "add_jvp"),
    jvp_mutation("mul", arith, "mul_jvp"),
    jvp_mutation("pow", arith, "pow_jvp"),
    jvp_mutation("matmul", arith, "matmul_jvp"),
    jvp_mutation("tanh", pointwise, "tanh_jvp"),
    jvp_mutation("sigmoid", pointwise, "sigmoid_jvp"),
    jvp_mutation("sum", reduce, "sum_jvp"),
    Mutation(
        "autograd.fan_out", "overwrite instead of sum", swap(autograd, "_add", _fan_out_overwrites)
    ),
    Mutation(
        "autograd.order",
        "breadth-first, not topological",
        swap(autograd, "topological_order", _order_breadth_first),
    ),
    Mutation(
        "autograd.accumulate",
        "overwrite .grad",
        swap(autograd, "_accumulate", _accumulate_overwrites),
    ),
    Mutation("autograd.free", "buffers never freed", swap(autograd, "_free", _never_free)),
    Mutation(
        "autograd.need",
        "every input's gradient computed",
        swap(autograd, "_apply_rule", _apply_rule_ignoring_need),
    ),
    Mutation(
        "counters.flops",
        "backward FLOPs counted twice",
        class_method(Counters, "count_op", _backward_flops_doubled),
    ),
    Mutation(
        "counters.flops",
        "recompute charged to backward",
        class_method(Counters, "count_op", _recompute_charged_to_backward),
    ),
    Mutation(
        "counters.saved",
        "shared buffers counted twice",
        class_method(Counters, "save", _save_without_dedup),
    ),
    Mutation(
        "counters.saved",
        "elements counted, not bytes",
        class_method(Counters, "save", _save_counts_elements),
    ),
    Mutation(
        "checkpoint.recompute",
        "segment keeps its intermediates",
        replace(checkpoint_module, "no_grad", _checkpoint_keeps_intermediates),
    ),
    Mutation(
        "checkpoint.recompute",
        "replay gives parameters no .grad",
        replace(checkpoint_module, "_vjp", _checkpoint_replay_not_accumulated),
    ),
    Mutation(
        "checkpoint.recompute",
        "recompute charged to backward",
        class_method(Counters, "count_op", _recompute_charged_to_backward),
    ),
]


MUTATIONS: list[Mutation] = [*BACKPROP_MUTATIONS, *deck_mutations.ALL]


def mutations_of(rule: str) -> list[Mutation]:
    """Every deliberate bug that breaks `rule`."""
    return [m for m in MUTATIONS if m.rule == rule]
