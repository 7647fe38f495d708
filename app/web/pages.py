"""The browsable catalog: the deck list, a deck's cards with filters, and a card."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.catalog import queries
from app.catalog.schema import SLUG_RE
from app.deps import NowDep, SessionDep
from app.srs.overview import user_overview
from app.web.demo_view import card_demo_context
from app.web.viewer import page_user

router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, context: Mapping[str, object]) -> HTMLResponse:
    """Render a page template."""
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, dict(context)
    )
    return response


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
def deck_page(
    request: Request,
    slug: str,
    session: SessionDep,
    difficulty: Literal["easy", "medium", "hard"] | None = None,
    topic: Annotated[str | None, Query(pattern=SLUG_RE.pattern, max_length=100)] = None,
) -> Response:
    summary = queries.get_deck(session, slug)
    if summary is None:
        raise HTTPException(404, f"There is no deck called {slug!r}.")
    filters = queries.CardFilter(deck=slug, difficulty=difficulty, topic=topic)
    cards = queries.list_cards(session, filters, limit=None).cards
    context = {"summary": summary, "deck": summary.deck, "cards": cards, "filters": filters}
    return render(request, "deck.html", context)


@router.get("/cards/{slug}", response_class=HTMLResponse)
def card_page(request: Request, slug: str, session: SessionDep) -> Response:
    card = queries.get_card(session, slug)
    if card is None:
        raise HTTPException(404, f"There is no card called {slug!r}.")
    previous, following = queries.neighbours(session, card)
    demo_ctx = card_demo_context(card, request.query_params.multi_items())
    if demo_ctx is not None:
        demo_ctx["action"] = request.url_for("card_page", slug=slug)
        demo_ctx["fragment"] = request.url_for("card_demo_fragment", slug=slug)
    context = {"card": card, "previous": previous, "following": following, "demo_ctx": demo_ctx}
    response = render(request, "card.html", context)
    if demo_ctx is not None:
        response.status_code = demo_ctx["status"]  # 422 when the demo's params were refused
    return response


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """Swagger UI from static/vendor, so the docs work offline and under our CSP."""
    return render(request, "docs.html", {})
