"""Turn an engine graph (a Tensor and its ancestors) into a Demo Graph with values and grads."""

from __future__ import annotations

import numpy as np

from app.demos.base import Graph, GraphNode
from app.engine import Tensor, topological_order


def graph_of(root: Tensor) -> Graph:
    """The graph under `root`: nodes in forward order, edges, and the order backward visits.

    Run backward with retain_graph=True first (a default backward frees the graph's links), and
    call `retain_grad()` on the intermediate tensors whose gradients should be shown.
    """
    order = topological_order(root)
    ids = {node: f"n{index}" for index, node in enumerate(order)}
    nodes = [
        GraphNode(
            id=ids[node],
            label=node.name or node.op,
            op=node.op,
            shape=tuple(node.shape),
            value=np.array(node.data),
            # np.array: a 0-d tensor's .grad may be a NumPy scalar, not an array.
            grad=None if node.grad is None else np.array(node.grad),
        )
        for node in order
    ]
    # dict.fromkeys dedupes while keeping order: x * x uses one parent twice, but draws one edge.
    edges = list(
        dict.fromkeys(
            (ids[parent], ids[node]) for node in order for parent in node.parents if parent in ids
        )
    )
    # Backward visits nodes in reverse topological order: the output first, leaves last.
    return Graph(nodes=nodes, edges=edges, backward_order=[ids[node] for node in reversed(order)])
