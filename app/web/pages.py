"""The browsable catalog: the deck list, a deck's cards with filters, and a card."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.api.catalog_cache import CatalogCache
from app.catalog import queries
from app.deps import NowDep, SessionDep, SlugQuery
from app.srs.overview import user_overview
from app.web.demo_view import card_demo_context
from app.web.page_cache import cached_page, current_catalog, with_session
from app.web.render import render
from app.web.viewer import page_user

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, now: NowDep) -> Response:
    """The decks; for a logged-in user, with today's due and new counts and the streak."""
    user = page_user(request, session)
    if user is None:
        return render(request, "index.html", {"decks": queries.list_decks(session)})
    overview = user_overview(session=session, user=user, now=now)
    context = {"decks": [deck.summary for deck in overview.decks], "overview": overview}
    return render(request, "index.html", context)


@router.get("/decks/{slug}", response_class=HTMLResponse)
async def deck_page(
    request: Request,
    slug: str,
    difficulty: Literal["easy", "medium", "hard"] | None = None,
    topic: SlugQuery = None,
) -> Response:
    """A deck's cards, filtered by difficulty and topic, with its checklist (from the rendered
    catalog: no ORM loading per request, and for visitors not logged in the page itself)."""
    filters = queries.CardFilter(deck=slug, difficulty=difficulty, topic=topic)
    cache: CatalogCache = request.app.state.catalog_cache

    def page(session: Session) -> Response:
        found = cache.deck_page(session, slug, filters)
        if found is None:
            raise HTTPException(404, f"There is no deck called {slug!r}.")
        summary, cards = found
        context = {"summary": summary, "deck": summary.deck, "cards": cards, "filters": filters}
        return render(request, "deck.html", context)

    catalog = await run_in_threadpool(current_catalog, request)
    summary = catalog.deck_view_by_slug.get(slug)
    # Only the deck's own topics are kept: any other topic is an empty list, rendered.
    known = summary is not None and topic in {None, *(t.slug for t in summary.deck.topics)}
    return await cached_page(request, catalog, lambda: with_session(request, page), keep=known)


@router.get("/cards/{slug}", response_class=HTMLResponse)
async def card_page(request: Request, slug: str) -> Response:
    """A card: question, answer to reveal, its live demo and related cards (from the rendered
    catalog, and the demo from the per-worker cache of runs: no ORM loading per request)."""
    catalog = await run_in_threadpool(current_catalog, request)
    card = catalog.card_page_by_slug.get(slug)
    if card is None:
        raise HTTPException(404, f"There is no card called {slug!r}.")

    def page() -> Response:
        assert card is not None
        demo_ctx = card_demo_context(card, request.query_params.multi_items())
        if demo_ctx is not None:
            demo_ctx["action"] = request.url_for("card_page", slug=slug)
            demo_ctx["fragment"] = request.url_for("card_demo_fragment", slug=slug)
        context = {
            "card": card,
            "previous": card.previous,
            "following": card.following,
            "demo_ctx": demo_ctx,
        }
        # 422 when the demo's params were refused (the card and the form still render).
        status = demo_ctx["status"] if demo_ctx else 200
        return render(request, "card.html", context, status=status)

    # Demo params in the query are the visitor's choice: rendered, not kept (runs are cached).
    return await cached_page(request, catalog, page, keep=not request.url.query)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """Swagger UI from static/vendor, so the docs work offline and under our CSP."""
    return render(request, "docs.html", {})
