"""The engine's modes, kept per thread: graph recording, forward mode, accumulation, counters.

PyTorch keeps grad mode per thread, and so must we: the web server runs demos for several
requests at once on a thread pool, and one request's no_grad() or count() must never switch
recording off, or count ops, for another.
"""

from __future__ import annotations

import threading
from typing import Any


class EngineState(threading.local):
    """Each thread sees these defaults until it changes them (threading.local semantics)."""

    grad_enabled: bool = True
    forward_ad_level: int = 0  # > 0 while a jvp runs, so backward knows tangents may be present
    accumulating: bool = False  # whether the running backward fills .grad (checkpoint replays)
    counters: Any = None  # the Counters of the innermost count() block, if any
    backward_depth: int = 0  # > 0 inside a backward walk (a checkpoint replay nests one)
    rounding: Any = None  # inside dtypes.bfloat16(): rounds every op's output and gradient


STATE = EngineState()
