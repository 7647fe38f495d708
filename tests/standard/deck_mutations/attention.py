"""Deliberate engine bugs for the rules the attention deck's demos rest on."""

from tests.standard.mutation_kit import Mutation

MUTATIONS: list[Mutation] = []
