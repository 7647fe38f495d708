"""The study session page: a shell the script static/js/study.js drives through /api/v1."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.catalog import queries
from app.deps import SessionDep, SlugQuery
from app.web.render import render
from app.web.viewer import login_redirect, page_user

router = APIRouter(include_in_schema=False)
Level = Literal["easy", "medium", "hard"]


def scope_label(session: SessionDep, deck: str | None, topic: str | None, level: str | None) -> str:
    """The selection in words: 'Backpropagation · activations · easy', or 'All decks'."""
    summary = queries.get_deck(session, deck) if deck else None
    parts = [summary.deck.title if summary else (deck or "All decks")]
    parts += [part for part in (topic, level) if part]
    return " · ".join(parts)


@router.get("/study", response_class=HTMLResponse)
def study_page(
    request: Request,
    session: SessionDep,
    deck: SlugQuery = None,
    topic: SlugQuery = None,
    difficulty: Level | None = None,
) -> Response:
    """The study session's page; study.js drives it through the JSON API."""
    user = page_user(request, session)
    if user is None:
        return login_redirect(request)
    context = {
        "filters": {"deck": deck or "", "topic": topic or "", "difficulty": difficulty or ""},
        "scope": scope_label(session, deck, topic, difficulty),
    }
    return render(request, "study.html", context)
