"""The tools for writing deliberate engine bugs (the mutations of tests/standard/mutations.py and
tests/standard/deck_mutations/), each breaking a rule named in app/demos/rules.py.

Each mutation patches one module attribute for the length of a test. Op rules are looked up by
name when an op runs (`make("tanh", ..., tanh_vjp, ...)` reads the module global), so patching
`pointwise.tanh_vjp` changes every tanh recorded afterwards, in demos and tests alike. The bugs
are the ones people really write: a rule off by 1e-4, a textbook slip (σ′ = 1 − σ, the missing
factor 2 of the squared error), a term left out, overwrite instead of accumulate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from app.engine.tensor import Tensor

SKEW = 1 + 1e-4  # "off by 1e-4 relative": what a tight gradcheck exists to catch
Patch = Callable[[pytest.MonkeyPatch], None]

# Set when a mutated rule actually changed something during a run. A mutation that changed
# nothing (the skewed input never needed a gradient, a*a with a and b swapped) is no test of
# the demo; one that did must turn the demo red.
TOUCHED = [False]


def reset_touched() -> None:
    """Forget whether the last run met the mutation."""
    TOUCHED[0] = False


def differs(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    a = a.data if isinstance(a, Tensor) else np.asarray(a)
    b = b.data if isinstance(b, Tensor) else np.asarray(b)
    return bool(a.shape != b.shape or not np.array_equal(a, b))


def mark_if_changed(right: Any, wrong: Any) -> Any:
    """Return the wrong result, noting whether it differs from the right one."""
    pairs = zip(right, wrong, strict=True) if isinstance(right, tuple) else [(right, wrong)]
    if any(differs(r, w) for r, w in pairs):
        TOUCHED[0] = True
    return wrong


@dataclass(frozen=True)
class Mutation:
    rule: str
    name: str
    apply: Patch

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name}"


def zeros_like(value: Any) -> Any:
    if isinstance(value, Tensor):
        return Tensor(np.zeros_like(value.data))
    return np.zeros_like(value)


def replace(module: ModuleType, attribute: str, make: Callable[[Any], Any]) -> Patch:
    """A patch that swaps module.attribute for make(original)."""

    def apply(monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(module, attribute, make(getattr(module, attribute)))

    return apply


def swap(module: ModuleType, attribute: str, broken: Callable[..., Any]) -> Patch:
    """A patch that puts a broken mechanism in place of module.attribute."""
    return replace(module, attribute, lambda original: broken)


def skew_vjp(module: ModuleType, attribute: str, input_index: int | None = None) -> Patch:
    """Scale one input's gradient (every input's when input_index is None) by SKEW."""

    def make(original: Callable[..., tuple]) -> Callable[..., tuple]:
        def skewed(*args: Any) -> tuple:
            grads = original(*args)
            wrong = tuple(
                g if g is None or (input_index is not None and i != input_index) else g * SKEW
                for i, g in enumerate(grads)
            )
            return mark_if_changed(grads, wrong)

        return skewed

    return replace(module, attribute, make)


def skew_jvp(module: ModuleType, attribute: str) -> Patch:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def skewed(*args: Any) -> Any:
            right = original(*args)
            return mark_if_changed(right, right * SKEW)

        return skewed

    return replace(module, attribute, make)


def wrong_rule(module: ModuleType, attribute: str, wrong: Callable[..., tuple]) -> Patch:
    """Replace a rule by a wrong formula: `wrong(original, *args)` has the rule's arguments."""

    def make(original: Callable[..., tuple]) -> Callable[..., tuple]:
        def mutated(*args: Any) -> tuple:
            return mark_if_changed(original(*args), wrong(original, *args))

        return mutated

    return replace(module, attribute, make)


def vjp_mutations(op: str, module: ModuleType, attribute: str, inputs: int) -> list[Mutation]:
    rule = f"{op}.vjp"
    found = [Mutation(rule, "every input's gradient off by 1e-4", skew_vjp(module, attribute))]
    if inputs > 1:
        found += [
            Mutation(rule, f"input {i}'s gradient off by 1e-4", skew_vjp(module, attribute, i))
            for i in range(inputs)
        ]
    return found


def jvp_mutation(op: str, module: ModuleType, attribute: str) -> Mutation:
    return Mutation(f"{op}.jvp", "tangent off by 1e-4", skew_jvp(module, attribute))


def class_method(cls: type, name: str, make: Callable[[Any], Any]) -> Patch:
    def apply(monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(cls, name, make(getattr(cls, name)))

    return apply
