"""Read-only catalog endpoints: decks and cards, sent from the rendered catalog (catalog_cache).

The routes return the cached JSON bytes as they are; response_model still documents them, and
the bytes were produced by those very models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response

from app.api.schemas import CardOut, CardPageOut, DeckOut, ErrorOut
from app.catalog import queries
from app.deps import CatalogCacheDep, SessionDep, SlugQuery

router = APIRouter(tags=["catalog"])

NO_NUL = r"^[^\x00]*$"

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such deck or card."}
}


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


@router.get("/decks", response_model=list[DeckOut])
def list_decks(session: SessionDep, cache: CatalogCacheDep) -> Response:
    """Every deck with its topics, checklist and card counts."""
    return _json(cache.get(session).decks)


@router.get("/decks/{slug}", response_model=DeckOut, responses=NOT_FOUND)
def get_deck(slug: str, session: SessionDep, cache: CatalogCacheDep) -> Response:
    """One deck by slug."""
    body = cache.get(session).deck_by_slug.get(slug)
    if body is None:
        raise HTTPException(404, f"deck {slug!r} not found")
    return _json(body)


@router.get("/cards", response_model=CardPageOut)
def list_cards(
    session: SessionDep,
    cache: CatalogCacheDep,
    deck: SlugQuery = None,
    difficulty: Literal["easy", "medium", "hard"] | None = None,
    topic: SlugQuery = None,
    # PostgreSQL refuses NUL in text, so it is refused here, as the bad value it is.
    q: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Active cards in (deck, number) order, filtered, one keyset page at a time."""
    filters = queries.CardFilter(deck=deck, difficulty=difficulty, topic=topic, q=q)
    try:
        return _json(cache.card_page(session, filters, limit, cursor))
    except queries.BadCursor as error:
        raise HTTPException(422, str(error)) from error


@router.get("/cards/{slug}", response_model=CardOut, responses=NOT_FOUND)
def get_card(slug: str, session: SessionDep, cache: CatalogCacheDep) -> Response:
    """One card by slug, with its answer and choices (retired cards say so)."""
    catalog = cache.get(session)
    card_id = catalog.card_id_by_slug.get(slug)
    if card_id is None:
        raise HTTPException(404, f"card {slug!r} not found")
    return _json(catalog.card_by_id[card_id])
