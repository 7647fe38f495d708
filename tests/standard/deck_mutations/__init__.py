"""Each deck's deliberate engine bugs, one module per deck, each exporting MUTATIONS."""

from tests.standard.deck_mutations import (
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
from tests.standard.mutation_kit import Mutation

ALL: list[Mutation] = [
    *activations.MUTATIONS,
    *init_norm.MUTATIONS,
    *losses.MUTATIONS,
    *optimization.MUTATIONS,
    *regularization.MUTATIONS,
    *cnn.MUTATIONS,
    *sequence_models.MUTATIONS,
    *attention.MUTATIONS,
    *training_at_scale.MUTATIONS,
]
