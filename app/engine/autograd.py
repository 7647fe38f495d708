"""Reverse mode: walk the graph from the output back to the leaves, applying each op's rule.

The walk is micrograd's, made iterative so a 10,000-op chain does not hit Python's recursion
limit. Rules normally run on raw ndarrays (fast); they run on Tensors when the backward pass
must itself be recorded (create_graph, for Hessians), counted, or carry tangents (hvp).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np

from app.engine import counters
from app.engine import tensor as tensor_module
from app.engine.state import STATE
from app.engine.tensor import Tensor, Value

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use saved values after they "
    "were freed): op {op!r} already released its buffers. Specify retain_graph=True on the "
    "first backward() call if you need to backward through the graph again."
)


_NOTHING: frozenset[Tensor] = frozenset()
_NO_PHASE = nullcontext()  # reusable: entering it does nothing


def topological_order(
    root: Tensor | Sequence[Tensor], stop: frozenset[Tensor] = frozenset()
) -> list[Tensor]:
    """Nodes reachable from root that require grad, each after all of its parents.

    Nodes in `stop` are included but their parents are not explored.
    """
    roots = [root] if isinstance(root, Tensor) else list(root)
    order: list[Tensor] = []
    visited: set[Tensor] = set()
    for start in roots:
        if start in visited or not start.requires_grad:
            continue
        visited.add(start)
        # Each stack entry is a node and an iterator over its parents: an explicit version of
        # micrograd's recursive build_topo, so depth is not limited by the recursion limit.
        stack = [(start, iter(() if start in stop else start._parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent.requires_grad and parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(() if parent in stop else parent._parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def backward_order(root: Tensor) -> list[Tensor]:
    """The order backward visits nodes in: the topological order reversed, output first."""
    return topological_order(root)[::-1]


def run_backward(
    roots: Sequence[Tensor],
    seeds: Sequence[Value],
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
    accumulate: bool = True,
    inputs: Sequence[Tensor] = (),
    stop_at_inputs: bool = False,
) -> list[Value | None]:
    """Propagate seeds from roots; fill leaves' .grad and return the gradients of `inputs`."""
    tensor_mode = create_graph or STATE.counters is not None or STATE.forward_ad_level > 0
    wanted = frozenset(inputs) if inputs else _NOTHING
    order = topological_order(roots, wanted if stop_at_inputs else frozenset())
    # Tensors hash by identity, so they key the gradients being accumulated.
    grads: dict[Tensor, Value] = {}
    for root, seed in zip(roots, seeds, strict=True):
        _add(grads, root, Tensor(seed) if tensor_mode and not isinstance(seed, Tensor) else seed)
    found: dict[Tensor, Value] = {}
    outer = STATE.accumulating, tensor_module.set_grad_mode(create_graph)
    STATE.accumulating = accumulate
    if STATE.counters is not None and STATE.backward_depth == 0:
        STATE.counters.backward_passes += 1
    STATE.backward_depth += 1
    try:
        with counters.phase("backward") if tensor_mode else _NO_PHASE:
            while order:
                # Popping (rather than iterating) lets each node be freed once it is used.
                node = order.pop()
                g = grads.pop(node, None)
                if g is None:
                    continue
                # g is complete here: every consumer of node has already added its share.
                if node._hooks:
                    g = _run_hooks(node, g, tensor_mode)
                if wanted and node in wanted:
                    found[node] = g
                    if stop_at_inputs:
                        continue
                vjp = node._vjp
                if vjp is None or node._retains_grad:
                    if accumulate:
                        _accumulate(node, g)
                    if vjp is None:
                        continue
                _apply_rule(node, g, grads, tensor_mode)
                if not retain_graph and node._has_saved:
                    _free(node)  # (a node that saved nothing has nothing to free)
    finally:
        STATE.backward_depth -= 1
        STATE.accumulating = outer[0]
        tensor_module.set_grad_mode(outer[1])
    return [found.get(t) for t in inputs]


def _run_hooks(node: Tensor, g: Value, tensor_mode: bool) -> Value:
    """Call node's gradient hooks in order; a hook's non-None result replaces the gradient.

    Hooks always see a Tensor, as in torch. On the fast path it wraps the array and records
    nothing; in tensor mode it is the gradient itself, so a hook that scales it stays
    differentiable for a second derivative.
    """
    for hook in list(node._hooks.values()):  # type: ignore[union-attr]
        result = hook(g if isinstance(g, Tensor) else Tensor(g))
        if result is None:
            continue
        if tensor_mode:
            result = result if isinstance(result, Tensor) else Tensor(result)
        else:
            result = result.data if isinstance(result, Tensor) else np.asarray(result)
        if result.shape != node.shape:
            raise ValueError(
                f"a hook on a tensor of shape {node.shape} returned a gradient of shape "
                f"{result.shape}; it must keep the shape"
            )
        g = result
    return g


def _apply_rule(node: Tensor, g: Value, grads: dict[Tensor, Value], tensor_mode: bool) -> None:
    """Run node's gradient rule and add what it returns to its parents' gradients."""
    if node._freed:
        raise RuntimeError(FREED_MESSAGE.format(op=node._op))
    parents = node._parents
    # Most ops have one or two parents: those cases are written out (tuples built directly, the
    # results unpacked, which also checks their count), since this runs once per node of every
    # backward and a generic loop over zip() costs more than the rule of a small op.
    count = len(parents)
    if count == 2:
        first, second = parents
        need: tuple[bool, ...] = (first.requires_grad, second.requires_grad)
        values: tuple = (first.data, second.data)
    elif count == 1:
        first = parents[0]
        need, values = (first.requires_grad,), (first.data,)
    else:
        need = tuple([p.requires_grad for p in parents])
        values = tuple([p.data for p in parents])
    if tensor_mode:
        with counters.phase("backward", node._op):
            parent_grads = node._vjp(g, parents, node, node._ctx, need)  # type: ignore[misc]
    else:
        parent_grads = node._vjp(g, values, node.data, node._ctx, need)  # type: ignore[misc]
        if STATE.rounding is not None:
            # Emulated low precision: gradients are rounded as each op's output is.
            parent_grads = tuple(None if v is None else STATE.rounding(v) for v in parent_grads)
    if count == 2:
        grad_first, grad_second = parent_grads
        if grad_first is not None and need[0]:
            _add(grads, first, grad_first)
        if grad_second is not None and need[1]:
            _add(grads, second, grad_second)
    elif count == 1:
        (grad_first,) = parent_grads
        if grad_first is not None and need[0]:
            _add(grads, first, grad_first)
    else:
        for parent, parent_grad in zip(parents, parent_grads, strict=True):
            if parent_grad is not None and parent.requires_grad:
                _add(grads, parent, parent_grad)


def _add(grads: dict[Tensor, Value], node: Tensor, g: Value) -> None:
    previous = grads.get(node)
    grads[node] = g if previous is None else previous + g


def _accumulate(node: Tensor, g: Value) -> None:
    array = g.data if isinstance(g, Tensor) else g
    if array.dtype != node.data.dtype:
        array = array.astype(node.data.dtype)
    if node.grad is None:
        # Broadcast views are read-only; .grad must be an ordinary array the user can modify.
        node.grad = array if array.flags.writeable else array.copy()
    else:
        node.grad = node.grad + array


def _free(node: Tensor) -> None:
    """After node's rule ran: drop what it saved, so memory is returned during this pass.

    As in PyTorch, only saved values are freed: a node that saved nothing (add, sum, reshape)
    keeps its links and can run again, so a second backward through a graph of such nodes
    works without retain_graph; one that reaches a node whose saved values are gone raises
    FREED_MESSAGE.
    """
    if not node._has_saved:
        return
    node._freed = True
    node._ctx = None
    if node._saved and STATE.counters is not None:
        STATE.counters.release(node._saved)
    node._saved = ()
    # Cutting a freed node's links lets NumPy reuse the memory of intermediates during this
    # very pass; the flag alone is enough to refuse a second backward through it.
    node._parents = ()


def _seed(output: Tensor, gradient: Any) -> np.ndarray:
    if gradient is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; this output has shape "
                f"{output.shape}, so pass gradient= with that shape to backward()"
            )
        return np.ones_like(output.data)
    seed = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
    if seed.shape != output.shape:
        raise ValueError(
            f"gradient has shape {seed.shape} but the output has shape {output.shape}; "
            "they must match"
        )
    return seed.astype(output.data.dtype, copy=False)


def backward(output: Tensor, gradient: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(output)/d(leaf) into the .grad of every leaf that requires grad."""
    if not output.requires_grad:
        raise RuntimeError(
            "output does not require grad: no input was created with requires_grad=True "
            "(or it was computed under no_grad())"
        )
    run_backward([output], [_seed(output, gradient)], retain_graph=retain_graph)


def gradients(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    *,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> list[Tensor]:
    """d(outputs)/d(inputs) as Tensors, without touching .grad (like torch.autograd.grad)."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor | np.ndarray):
        grad_outputs = [grad_outputs] * len(outs) if len(outs) == 1 else grad_outputs
    seeds = [
        g if isinstance(g, Tensor) else _seed(o, g)
        for o, g in zip(outs, grad_outputs or [None] * len(outs), strict=True)
    ]
    keep = create_graph if retain_graph is None else retain_graph
    found = run_backward(
        outs, seeds, retain_graph=keep, create_graph=create_graph, accumulate=False, inputs=ins
    )
    return [
        Tensor(np.zeros_like(x.data)) if g is None else (g if isinstance(g, Tensor) else Tensor(g))
        for x, g in zip(ins, found, strict=True)
    ]
