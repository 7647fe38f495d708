"""Cost counters: FLOPs per op and phase, and bytes saved for backward (live, peak, total).

FLOPs are counted as multiply-adds for matmul (batch * n * k * m) and one per output element
for elementwise ops and per input element for reductions; shape ops cost nothing. In backward
the FLOPs are charged to the forward op whose gradient rule ran, so `flops["backward"]["matmul"]`
is what the matmul's rule cost. Forward-mode tangent work (jvp, hvp) is not counted.

Saved bytes are the arrays each op's rule keeps for backward, counted once per buffer. They
include references to parameters and inputs (a linear layer keeps W and X): those arrays exist
anyway, so the memory training adds is saved bytes minus them (see the activation_memory demo).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from app.engine.state import STATE

PHASES = ("forward", "backward", "recompute")


class Counters:
    """What one `count()` block measured."""

    def __init__(self) -> None:
        self.flops: dict[str, dict[str, int]] = {phase: defaultdict(int) for phase in PHASES}
        self.saved_live = 0
        self.saved_peak = 0
        self.saved_total = 0
        self.phase = "forward"
        self.rule_op = ""  # the forward op whose gradient rule is running, during backward
        self.ops: dict[str, int] = dict.fromkeys(PHASES, 0)  # op evaluations per phase
        self.backward_passes = 0  # top-level backward walks (backward(), gradients(), VJPs)
        self._live: dict[int, list] = {}  # id(array) -> [array, number of nodes saving it]

    def total_flops(self, phase: str = "forward") -> int:
        """All FLOPs of one phase."""
        return sum(self.flops[phase].values())

    def count_op(self, op: str, flops: int) -> None:
        """Charge an op's FLOPs (and one evaluation) to the current phase."""
        self.ops[self.phase] += 1
        self.flops[self.phase][self.rule_op if self.phase == "backward" else op] += flops

    def save(self, arrays: tuple[np.ndarray, ...]) -> int:
        """Register arrays a node keeps for backward; returns the node's share of bytes."""
        added = 0
        for array in arrays:
            entry = self._live.get(id(array))
            if entry is None:
                # An array saved by two nodes (relu's output, the next matmul's input) is
                # counted once: it is one buffer in memory.
                self._live[id(array)] = [array, 1]
                added += array.nbytes
            else:
                entry[1] += 1
        self.saved_live += added
        self.saved_total += added
        self.saved_peak = max(self.saved_peak, self.saved_live)
        return added

    def release(self, arrays: tuple[np.ndarray, ...]) -> None:
        """Forget arrays a node no longer keeps (its buffers were freed by backward)."""
        for array in arrays:
            entry = self._live.get(id(array))
            if entry is None:
                continue
            entry[1] -= 1
            if entry[1] == 0:
                del self._live[id(array)]
                self.saved_live -= array.nbytes

    def summary(self) -> dict[str, int]:
        """Totals in a flat dict, handy for tables."""
        out = {f"{phase}_flops": self.total_flops(phase) for phase in PHASES}
        out.update(saved_live=self.saved_live, saved_peak=self.saved_peak)
        out["saved_total"] = self.saved_total
        return out


def current() -> Counters | None:
    """The Counters of this thread's innermost count() block, or None."""
    counter: Counters | None = STATE.counters
    return counter


@contextmanager
def count() -> Iterator[Counters]:
    """Record FLOPs and saved bytes of everything this thread runs inside the block."""
    previous, STATE.counters = STATE.counters, Counters()
    try:
        yield STATE.counters
    finally:
        STATE.counters = previous


@contextmanager
def phase(name: str, rule_op: str | None = None) -> Iterator[None]:
    """Charge work inside the block to `name` (and, in backward, to `rule_op`)."""
    counter = current()
    if counter is None:
        yield
        return
    previous = counter.phase, counter.rule_op
    counter.phase = name
    if rule_op is not None:
        counter.rule_op = rule_op
    try:
        yield
    finally:
        counter.phase, counter.rule_op = previous
