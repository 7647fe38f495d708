"""The mutation suite: with any engine rule a card's claim rests on broken, that card's demo
must report a failed check. It runs over every card of every deck in content/."""

from __future__ import annotations

import pytest

from app.demos import REGISTRY, get_demo
from app.demos.rules import RULES
from tests.standard.decks import CARDS, DeckCard
from tests.standard.mutations import MUTATIONS, TOUCHED, mutations_of, reset_touched

CASES = [
    pytest.param(card, rule, id=f"{card.slug}-{rule}")
    for card in CARDS
    for rule in get_demo(card.demo).rules
]


def test_every_demo_names_rules_and_every_rule_can_be_broken() -> None:
    for spec in REGISTRY.values():
        assert spec.rules, f"demo {spec.name} names no engine rules"
        for rule in spec.rules:
            assert rule in RULES, f"demo {spec.name}: unknown rule {rule}"
            assert mutations_of(rule), f"rule {rule} (demo {spec.name}) has no mutation"


def test_every_mutation_breaks_a_known_rule() -> None:
    assert {m.rule for m in MUTATIONS} <= set(RULES)
    assert len({m.id for m in MUTATIONS}) == len(MUTATIONS)


@pytest.mark.parametrize(("card", "rule"), CASES)
def test_a_broken_rule_fails_the_card_demo(card: DeckCard, rule: str) -> None:
    spec = get_demo(card.demo)
    assert spec.run_with(card.params).passed, "the demo must pass on the correct engine"
    met = []
    for mutation in mutations_of(rule):
        with pytest.MonkeyPatch.context() as monkeypatch:
            mutation.apply(monkeypatch)
            reset_touched()
            demo = spec.run_with(card.params)
        if not TOUCHED[0]:
            continue  # this bug cannot show in this demo (e.g. an input that needs no gradient)
        met.append(mutation.name)
        assert not demo.passed, f"card {card.slug}: demo {card.demo} stays green with {mutation.id}"
    assert met, f"card {card.slug}: demo {card.demo} names {rule} but never runs it"
