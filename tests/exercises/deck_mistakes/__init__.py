"""The classic mistakes each later deck's exercise kinds must test, one module per deck."""

from tests.exercises.deck_mistakes import activations, init_norm, losses

REQUIRED: dict[str, set[str]] = {**activations.REQUIRED, **init_norm.REQUIRED, **losses.REQUIRED}
