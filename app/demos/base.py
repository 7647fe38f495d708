"""What a demo returns: the steps of a computation, the checks that prove a card's claim,
charts to plot and, optionally, the computational graph. Pure data: no web, no database."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Number = float | int
StepValue = np.ndarray | Number | str


class DemoParams(BaseModel):
    """Base of every demo's parameters: bounded fields and a seed, so a run is reproducible."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(
        default=0, ge=0, le=2**31 - 1, description="Random seed; same seed, same numbers."
    )

    def rng(self) -> np.random.Generator:
        """The demo's only source of randomness."""
        return np.random.default_rng(self.seed)


@dataclass(frozen=True)
class Step:
    """One number (scalar, vector or matrix) of the computation, in order."""

    label: str
    value: StepValue
    tex: str | None = None  # e.g. r"\partial L / \partial W = G^\top X"
    note: str | None = None


@dataclass(frozen=True)
class Check:
    """Numeric evidence for a claim: what was measured, the bound it must meet, the verdict."""

    claim: str
    measured: float
    bound: str  # human-readable, e.g. "≤ 1e-06" or "in [1.8, 2.2]"
    passed: bool
    tolerance: float | None = None

    @classmethod
    def at_most(cls, claim: str, measured: float, tolerance: float) -> Check:
        """Passes when measured (an error, a difference) is at most tolerance."""
        measured = float(measured)
        ok = math.isfinite(measured) and measured <= tolerance
        return cls(claim, measured, f"≤ {tolerance:g}", ok, tolerance)

    @classmethod
    def at_least(cls, claim: str, measured: float, minimum: float) -> Check:
        """Passes when measured is at least minimum (a speed-up, a saving)."""
        measured = float(measured)
        ok = math.isfinite(measured) and measured >= minimum
        return cls(claim, measured, f"≥ {minimum:g}", ok, None)

    @classmethod
    def between(cls, claim: str, measured: float, low: float, high: float) -> Check:
        """Passes when low ≤ measured ≤ high (a ratio near a predicted value)."""
        measured = float(measured)
        ok = math.isfinite(measured) and low <= measured <= high
        return cls(claim, measured, f"in [{low:g}, {high:g}]", ok, None)

    @classmethod
    def equal(cls, claim: str, measured: float, expected: float) -> Check:
        """Passes on exact equality (counts, bit-identical results)."""
        measured = float(measured)
        return cls(claim, measured, f"= {expected:g}", measured == expected, 0.0)


@dataclass(frozen=True)
class Series:
    label: str
    x: list[Number]
    y: list[Number]


@dataclass(frozen=True)
class Chart:
    """A plot: one or more series over a shared x axis."""

    title: str
    x_label: str
    y_label: str
    series: list[Series]
    kind: Literal["line", "bar", "scatter"] = "line"
    log_x: bool = False
    log_y: bool = False
    # A ratio or a share is read against 0: the y axis then starts there, not at the data's
    # minimum (a linear axis only).
    y_from_zero: bool = False
    # Names for the x positions of a bar chart whose x is a category (a buffer, a strategy),
    # shown under the bars instead of the indices 0, 1, 2.
    x_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class GraphNode:
    id: str
    label: str  # the tensor's name, or its op
    op: str  # "leaf" for inputs and parameters
    shape: tuple[int, ...]
    value: np.ndarray
    grad: np.ndarray | None


@dataclass(frozen=True)
class Graph:
    """A computational graph: nodes with values and gradients, edges parent -> child, and the
    order in which backward visited the nodes."""

    nodes: list[GraphNode]
    edges: list[tuple[str, str]]
    backward_order: list[str]


@dataclass
class Demo:
    """The result of running a demo: everything a page or the API shows."""

    name: str
    title: str
    params: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    graph: Graph | None = None
    summary: str = ""  # one or two sentences: what the numbers show

    @property
    def passed(self) -> bool:
        """Every check passed."""
        return all(check.passed for check in self.checks)

    def check(self, claim_start: str) -> Check:
        """The check whose claim starts with `claim_start` (for tests and callers)."""
        for check in self.checks:
            if check.claim.startswith(claim_start):
                return check
        raise KeyError(f"no check starting with {claim_start!r} in demo {self.name!r}")
