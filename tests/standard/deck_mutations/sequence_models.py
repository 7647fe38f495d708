"""Deliberate engine bugs for the rules the sequence-models deck's demos rest on."""

from tests.standard.mutation_kit import Mutation

MUTATIONS: list[Mutation] = []
