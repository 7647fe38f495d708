"""Cards list related cards by slug, in any deck: checked on load, stored, shown, served."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Card
from tests.catalog.test_loader import GOOD, card, load, refused


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def other_deck(related: str) -> str:
    return f"""
deck: {{slug: other, title: Other deck, topics: [misc]}}
cards:
  - slug: elsewhere
    number: 1
    difficulty: easy
    topics: [misc]
    question: "What is elsewhere?"
    answer: Another deck's card.
    related: {related}
"""


def with_related(related: str) -> str:
    """good.yaml with the first card's related list set."""
    return GOOD.read_text().replace(
        "    demo: {name: chain_rule, params: {x: 0.5}}\n",
        f"    demo: {{name: chain_rule, params: {{x: 0.5}}}}\n    related: {related}\n",
        1,
    )


def test_related_cards_across_decks_are_stored(session: Session, tmp_path: Path) -> None:
    mini = write(tmp_path, "mini.yaml", with_related("[linear, elsewhere]"))
    other = write(tmp_path, "other.yaml", other_deck("[chain]"))
    load(session, mini, other)
    assert card(session, "chain").related == ["linear", "elsewhere"]
    assert card(session, "elsewhere").related == ["chain"]


def test_a_related_card_already_stored_may_be_named(session: Session, tmp_path: Path) -> None:
    load(session, GOOD)
    load(session, write(tmp_path, "other.yaml", other_deck("[checkpoint]")))
    assert card(session, "elsewhere").related == ["checkpoint"]


@pytest.mark.parametrize(
    ("related", "message"),
    [
        ("[nowhere]", "related card 'nowhere' does not exist"),
        ("[chain]", "a card cannot be related to itself"),
        ("[linear, linear]", "related card 'linear' listed twice"),
        ("[Not A Slug]", "cards[0].related[0]"),
    ],
)
def test_bad_related_lists_are_refused_with_their_place(
    session: Session, tmp_path: Path, related: str, message: str
) -> None:
    problems = refused(session, write(tmp_path, "mini.yaml", with_related(related)))
    assert any(message in problem for problem in problems), problems
    assert session.scalar(select(func.count()).select_from(Card)) == 0  # nothing was written


def test_the_card_page_and_the_api_show_related_cards(
    session: Session, client: TestClient, tmp_path: Path
) -> None:
    mini = write(tmp_path, "mini.yaml", with_related("[elsewhere]"))
    load(session, mini, write(tmp_path, "other.yaml", other_deck("[]")))
    assert client.get("/api/v1/cards/chain").json()["related"] == ["elsewhere"]
    page = client.get("/cards/chain")  # (422: this test deck's demo params are out of date)
    assert "Related cards" in page.text and "Other deck · card 1" in page.text
    assert '/cards/elsewhere"' in page.text
    assert "Related cards" not in client.get("/cards/linear").text
    # A related card that is retired drops out of the list (it is no longer taught).
    load(
        session, mini, write(tmp_path, "other.yaml", other_deck("[]").replace("elsewhere", "moved"))
    )
    assert "Related cards" not in client.get("/cards/chain").text
