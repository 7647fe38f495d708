"""Deliberate engine bugs for the rules the losses deck's demos rest on."""

from __future__ import annotations

from tests.standard.mutation_kit import Mutation

MUTATIONS: list[Mutation] = []
