"""Each deck's deliberate engine bugs, one module per deck, each exporting MUTATIONS."""

from tests.standard.deck_mutations import activations, init_norm, losses
from tests.standard.mutation_kit import Mutation

ALL: list[Mutation] = [*activations.MUTATIONS, *init_norm.MUTATIONS, *losses.MUTATIONS]
