"""Live demos: one module per concept, each registering `run(params) -> Demo` by name.

Pure NumPy on top of app.engine: nothing here imports the web layer or the database.
"""

from app.demos import linear_backward  # noqa: F401  (modules register themselves on import)
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
