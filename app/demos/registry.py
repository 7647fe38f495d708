"""The demo registry: name -> (title, params model, run function)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from app.demos.base import Demo, DemoParams

P = TypeVar("P", bound=DemoParams)


class UnknownDemo(KeyError):
    """No demo has that name."""


@dataclass(frozen=True)
class DemoSpec:
    name: str
    title: str
    params: type[DemoParams]
    run: Callable[[Any], Demo]

    def run_with(self, raw: Mapping[str, Any]) -> Demo:
        """Validate raw params (pydantic.ValidationError when out of bounds), then run."""
        return self.run(self.params.model_validate(dict(raw)))


REGISTRY: dict[str, DemoSpec] = {}


def register(
    name: str, title: str, params: type[P]
) -> Callable[[Callable[[P], Demo]], Callable[[P], Demo]]:
    """Decorator: register `run(params) -> Demo` under `name`."""

    def add(run: Callable[[P], Demo]) -> Callable[[P], Demo]:
        if name in REGISTRY:
            raise ValueError(f"demo {name!r} is registered twice")
        REGISTRY[name] = DemoSpec(name, title, params, run)
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
