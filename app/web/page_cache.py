"""Rendered HTML of the catalog's pages for visitors who are not logged in.

A deck or card page shown to someone not logged in is a pure function of the catalog version,
the address it was asked at (its links are absolute, built from the request's base URL) and
its filters: the same bytes for every such visitor. So each is rendered once per catalog
version and worker, and kept with that version's rendered catalog (app/api/catalog_cache.py),
so an import that changes the catalog drops them all. Logged-in pages carry a name and a CSRF
token and are always rendered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.api.catalog_cache import CatalogJson
from app.auth.dependencies import current_session

# Kept per catalog version; past this many, pages are rendered but not kept (visitors choose
# filters and Host headers, and must not grow a worker's memory without bound).
MAX_PAGES = 512
_LOCK = threading.Lock()


def for_everyone(request: Request) -> bool:
    """Whether the request's page is the one every visitor not logged in gets."""
    viewer = current_session(request)
    return viewer is None or viewer.user_id is None


def cached_page(request: Request, catalog: CatalogJson, render: Callable[[], Response]) -> Response:
    """The page at request's address from `catalog`'s kept pages, or `render()` (kept when it
    is a 200 for everyone)."""
    if not for_everyone(request):
        return render()
    key = (str(request.base_url), request.url.path, request.url.query)
    body = catalog.pages.get(key)
    if body is not None:
        return HTMLResponse(body)
    response = render()
    if response.status_code == 200 and len(catalog.pages) < MAX_PAGES:
        with _LOCK:
            catalog.pages[key] = bytes(response.body)
    return response
