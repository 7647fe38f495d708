"""The regularization deck's deliberate engine bugs."""

from tests.standard.mutation_kit import Mutation

MUTATIONS: list[Mutation] = []
