"""Search: the header's box finds cards across every deck by words in the question or answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.catalog import queries
from app.web.page_cache import with_session
from app.web.render import render

router = APIRouter(include_in_schema=False)
MAX_RESULTS = 50


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Cards whose question or answer contains `q` (case-insensitive), in deck order."""
    text = q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a text parameter

    def page(session: Session) -> Response:
        found = (
            queries.list_cards(session, queries.CardFilter(q=text), limit=MAX_RESULTS)
            if text
            else queries.CardPage([], None)
        )
        context = {"q": text, "cards": found.cards, "more": found.next_cursor is not None}
        return render(request, "search.html", context)

    return with_session(request, page)
