"""The classic mistakes each later deck's exercise kinds must test, one module per deck."""

from tests.exercises.deck_mistakes import (
    activations,
    attention,
    cnn,
    init_norm,
    losses,
    optimization,
    regularization,
    sequence_models,
    training_at_scale,
)

REQUIRED: dict[str, set[str]] = {
    **activations.REQUIRED,
    **init_norm.REQUIRED,
    **losses.REQUIRED,
    **optimization.REQUIRED,
    **regularization.REQUIRED,
    **cnn.REQUIRED,
    **sequence_models.REQUIRED,
    **attention.REQUIRED,
    **training_at_scale.REQUIRED,
}
