"""The demo registry: name -> (title, params model, run function)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from app.demos.base import Demo, DemoParams
from app.demos.rules import unknown_rules

P = TypeVar("P", bound=DemoParams)


class UnknownDemo(KeyError):
    """No demo has that name."""


@dataclass(frozen=True)
class DemoSpec:
    name: str
    title: str
    params: type[DemoParams]
    run: Callable[[Any], Demo]
    rules: tuple[str, ...] = ()  # the engine rules the demo's claim rests on (app/demos/rules.py)

    def run_with(self, raw: Mapping[str, Any]) -> Demo:
        """Validate raw params (pydantic.ValidationError when out of bounds), then run."""
        return self.run(self.params.model_validate(dict(raw)))


REGISTRY: dict[str, DemoSpec] = {}


def register(
    name: str, title: str, params: type[P], *, rules: tuple[str, ...]
) -> Callable[[Callable[[P], Demo]], Callable[[P], Demo]]:
    """Decorator: register `run(params) -> Demo` under `name`, resting on engine `rules`."""
    if not rules:
        raise ValueError(f"demo {name!r} must name the engine rules its claim rests on")
    if unknown := unknown_rules(rules):
        raise ValueError(f"demo {name!r} names unknown engine rules {unknown}")

    def add(run: Callable[[P], Demo]) -> Callable[[P], Demo]:
        if name in REGISTRY:
            raise ValueError(f"demo {name!r} is registered twice")
        REGISTRY[name] = DemoSpec(name, title, params, run, tuple(rules))
        return run

    return add


def get_demo(name: str) -> DemoSpec:
    """The demo called `name`; UnknownDemo when there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDemo(name) from None


def demo_names() -> frozenset[str]:
    """Every registered name (the deck loader checks cards against it)."""
    return frozenset(REGISTRY)
