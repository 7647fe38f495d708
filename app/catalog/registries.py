"""The names a card may refer to: the registered demos and exercise kinds."""

from __future__ import annotations

from app.catalog.validate import Registries
from app.demos import demo_names
from app.exercises import exercise_kinds


def catalog_registries() -> Registries:
    """Registries for the deck loader, so a card naming a missing demo is refused."""
    return Registries(demos=demo_names(), exercises=frozenset(exercise_kinds()))
