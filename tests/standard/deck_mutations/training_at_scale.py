"""Deliberate engine bugs for the rules the training-at-scale deck's demos rest on."""

from tests.standard.mutation_kit import Mutation

MUTATIONS: list[Mutation] = []
