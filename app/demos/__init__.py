"""Live demos: one module per concept, each registering `run(params) -> Demo` by name.

Pure NumPy on top of app.engine: nothing here imports the web layer or the database.
"""

# Each module registers its demo on import; one per card of content/backprop.yaml, plus the
# deck's closing exercise (two_layer_by_hand). Later decks keep theirs in a package each.
from app.demos import (  # noqa: F401  (they register; later decks are packages)
    activation_memory,
    activations,
    attention,
    backward_cost,
    backward_order,
    chain_rule,
    checkpointing,
    cnn,
    computational_graph,
    init_norm,
    jvp_vs_vjp,
    linear_backward,
    loss_backward,
    losses,
    mlp_gradient,
    optimization,
    regularization,
    relu_backward,
    reverse_vs_forward,
    second_order,
    sequence_models,
    softmax_cross_entropy,
    training_at_scale,
    two_layer_by_hand,
    vanishing_gradients,
)
from app.demos.base import Chart, Check, Demo, DemoParams, Graph, GraphNode, Series, Step
from app.demos.registry import REGISTRY, DemoSpec, UnknownDemo, demo_names, get_demo

__all__ = [
    "REGISTRY",
    "Chart",
    "Check",
    "Demo",
    "DemoParams",
    "DemoSpec",
    "Graph",
    "GraphNode",
    "Series",
    "Step",
    "UnknownDemo",
    "demo_names",
    "get_demo",
]
