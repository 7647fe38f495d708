"""Read-only catalog endpoints: decks and cards."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from app.api.schemas import CardOut, CardPageOut, DeckOut, ErrorOut
from app.catalog import queries
from app.deps import SessionDep, SlugQuery

router = APIRouter(tags=["catalog"])

NO_NUL = r"^[^\x00]*$"

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such deck or card."}
}


@router.get("/decks", response_model=list[DeckOut])
def list_decks(session: SessionDep) -> list[DeckOut]:
    """Every deck with its topics, checklist and card counts."""
    return [DeckOut.of(summary) for summary in queries.list_decks(session)]


@router.get("/decks/{slug}", response_model=DeckOut, responses=NOT_FOUND)
def get_deck(slug: str, session: SessionDep) -> DeckOut:
    """One deck by slug."""
    summary = queries.get_deck(session, slug)
    if summary is None:
        raise HTTPException(404, f"deck {slug!r} not found")
    return DeckOut.of(summary)


@router.get("/cards", response_model=CardPageOut)
def list_cards(
    session: SessionDep,
    deck: SlugQuery = None,
    difficulty: Literal["easy", "medium", "hard"] | None = None,
    topic: SlugQuery = None,
    # PostgreSQL refuses NUL in text, so it is refused here, as the bad value it is.
    q: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CardPageOut:
    """Active cards in (deck, number) order, filtered, one keyset page at a time."""
    filters = queries.CardFilter(deck=deck, difficulty=difficulty, topic=topic, q=q)
    try:
        page = queries.list_cards(session, filters, limit=limit, cursor=cursor)
    except queries.BadCursor as error:
        raise HTTPException(422, str(error)) from error
    return CardPageOut(
        items=[CardOut.of(card) for card in page.cards], next_cursor=page.next_cursor
    )


@router.get("/cards/{slug}", response_model=CardOut, responses=NOT_FOUND)
def get_card(slug: str, session: SessionDep) -> CardOut:
    """One card by slug, with its answer and choices (retired cards say so)."""
    card = queries.get_card(session, slug)
    if card is None:
        raise HTTPException(404, f"card {slug!r} not found")
    return CardOut.of(card)
