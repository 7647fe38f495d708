"""The names a card may refer to: the registered demos and exercise kinds."""

from __future__ import annotations

from pathlib import Path

from app.catalog.validate import Registries
from app.demos import REGISTRY, demo_names
from app.exercises import exercise_kinds


def catalog_registries(standard_dir: Path | None = None) -> Registries:
    """Registries for the deck loader, so a card naming a missing demo is refused; decks under
    `standard_dir` (the bundled decks) must also meet the deck standard."""
    return Registries(
        demos=demo_names(),
        exercises=frozenset(exercise_kinds()),
        standard_dir=standard_dir,
        demo_rules={name: spec.rules for name, spec in REGISTRY.items()},
    )
