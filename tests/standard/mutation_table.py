"""The mutation table: each deliberate engine bug, and the cards whose demo it turned red.

    python -m tests.standard.mutation_table

A card (deck:number) is listed under a bug when its demo names the bug's rule, ran it (the bug
changed something) and reported a failed check; "missed" lists cards that ran the bug and stayed
green (the mutation suite fails on those).
"""

from __future__ import annotations

import pytest

from app.demos import get_demo
from tests.standard.decks import CARDS
from tests.standard.mutations import MUTATIONS, TOUCHED, reset_touched


def main() -> None:
    print(f"{'bug':<62} caught by (deck:card)")
    print("-" * 100)
    for mutation in MUTATIONS:
        caught: list[str] = []
        missed: list[str] = []
        for card in CARDS:
            spec = get_demo(card.demo)
            if mutation.rule not in spec.rules:
                continue
            with pytest.MonkeyPatch.context() as monkeypatch:
                mutation.apply(monkeypatch)
                reset_touched()
                demo = spec.run_with(card.params)
            if not TOUCHED[0]:
                continue
            number = card.spec.number if card.spec else 0
            (missed if demo.passed else caught).append(f"{card.deck}:{number}")
        line = ", ".join(caught) or "-"
        if missed:
            line += f"   MISSED by {', '.join(missed)}"
        print(f"{mutation.id:<62} {line}")


if __name__ == "__main__":
    main()
