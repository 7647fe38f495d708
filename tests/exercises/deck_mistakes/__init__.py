"""The classic mistakes each later deck's exercise kinds must test, one module per deck."""

from tests.exercises.deck_mistakes import (
    activations,
    cnn,
    init_norm,
    losses,
    optimization,
    regularization,
)

REQUIRED: dict[str, set[str]] = {
    **activations.REQUIRED,
    **init_norm.REQUIRED,
    **losses.REQUIRED,
    **optimization.REQUIRED,
    **regularization.REQUIRED,
    **cnn.REQUIRED,
}
