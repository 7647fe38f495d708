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
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.api.catalog_cache import CatalogCache, CatalogJson
from app.auth.dependencies import current_session

# Kept per catalog version; past this many, pages are rendered but not kept (visitors choose
# filters and Host headers, and must not grow a worker's memory without bound).
MAX_PAGES = 512
_LOCK = threading.Lock()


def for_everyone(request: Request) -> bool:
    """Whether the request's page is the one every visitor not logged in gets."""
    viewer = current_session(request)
    return viewer is None or viewer.user_id is None


def with_session(request: Request, work: Callable[[Session], Response]) -> Response:
    """work(session) on a session of its own (for the thread pool: it reads the database)."""
    with request.app.state.sessionmaker() as session:
        return work(session)


def current_catalog(request: Request) -> CatalogJson:
    """The app's rendered catalog at the database's current version (reads the database)."""
    cache: CatalogCache = request.app.state.catalog_cache
    with request.app.state.sessionmaker() as session:
        return cache.get(session)


async def cached_page(
    request: Request, catalog: CatalogJson, render: Callable[[], Response], *, keep: bool = True
) -> Response:
    """The page at request's address from `catalog`'s kept pages, or `render()` run in the
    thread pool (kept when it is a 200 for everyone and `keep`).

    The routes that use it are async and make one trip to the thread pool for the catalog's
    version and, on a miss, one to render: a sync route with a session dependency makes three
    (open, endpoint, close) even when the page is kept, and those trips were most of its cost.
    """
    shared = keep and for_everyone(request)
    key = (str(request.base_url), request.url.path, request.url.query)
    if shared and (body := catalog.pages.get(key)) is not None:
        return HTMLResponse(body)
    response = await run_in_threadpool(render)
    if shared and response.status_code == 200 and len(catalog.pages) < MAX_PAGES:
        with _LOCK:
            catalog.pages[key] = bytes(response.body)
    return response
