"""Demo pages: the gallery, one demo on its own, and the fragments the card page swaps in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from app.catalog import queries
from app.demos import REGISTRY
from app.deps import SessionDep
from app.web.demo_view import card_demo_context, demo_context
from app.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/demos", response_class=HTMLResponse)
def demo_gallery(request: Request) -> Response:
    """Every live demo, by title."""
    specs = sorted(REGISTRY.values(), key=lambda spec: spec.title)
    return render(request, "demos.html", {"specs": specs})


@router.get("/demos/{name}", response_class=HTMLResponse)
def demo_page(request: Request, name: str) -> Response:
    """One demo on a page of its own (params from the query)."""
    demo_ctx = _demo_or_404(request, name)
    return render(request, "demo.html", {"demo_ctx": demo_ctx}, status=demo_ctx["status"])


@router.get("/demos/{name}/fragment", response_class=HTMLResponse)
def demo_fragment(request: Request, name: str) -> Response:
    """Just the demo section, for the page's script to swap in after a re-run."""
    demo_ctx = _demo_or_404(request, name)
    return render(request, "_demo.html", {"demo_ctx": demo_ctx}, status=demo_ctx["status"])


@router.get("/cards/{slug}/demo", response_class=HTMLResponse)
def card_demo_fragment(request: Request, slug: str, session: SessionDep) -> Response:
    """Just the demo section of a card page, for the page's script to swap in."""
    card = queries.get_card(session, slug)
    if card is None:
        raise HTTPException(404, f"There is no card called {slug!r}.")
    demo_ctx = card_demo_context(card, request.query_params.multi_items())
    if demo_ctx is None:
        raise HTTPException(404, f"Card {slug!r} has no demo.")
    demo_ctx["action"] = request.url_for("card_page", slug=slug)
    demo_ctx["fragment"] = request.url_for("card_demo_fragment", slug=slug)
    return render(request, "_demo.html", {"demo_ctx": demo_ctx}, status=demo_ctx["status"])


def _demo_or_404(request: Request, name: str) -> dict[str, Any]:
    demo_ctx = demo_context(name, {}, request.query_params.multi_items())
    if demo_ctx["status"] == 404:
        raise HTTPException(404, str(demo_ctx["error"]))
    demo_ctx["action"] = request.url_for("demo_page", name=name)
    demo_ctx["fragment"] = request.url_for("demo_fragment", name=name)
    return demo_ctx
