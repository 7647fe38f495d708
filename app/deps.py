"""FastAPI dependencies shared by the API and the HTML routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from app.api.catalog_cache import CatalogCache
from app.catalog.schema import SLUG_RE
from app.config import Settings

Clock = Callable[[], datetime]


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request, closed when the response is done."""
    with request.app.state.sessionmaker() as session:
        yield session


# The small dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in the
# threadpool, a thread hop per dependency per request for what is an attribute read.


async def get_app_settings(request: Request) -> Settings:
    """The Settings the app was created with (tests pass their own to create_app)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_now(request: Request) -> datetime:
    """The current UTC time from the app's clock (tests pass a clock they control)."""
    clock: Clock = request.app.state.clock
    return clock()


async def get_catalog_cache(request: Request) -> CatalogCache:
    """The app's rendered catalog (see app/api/catalog_cache.py)."""
    cache: CatalogCache = request.app.state.catalog_cache
    return cache


SessionDep = Annotated[Session, Depends(get_session)]
CatalogCacheDep = Annotated[CatalogCache, Depends(get_catalog_cache)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
NowDep = Annotated[datetime, Depends(get_now)]

# An optional filter naming a deck or topic: a bad value is a 422 naming the parameter.
SlugQuery = Annotated[str | None, Query(pattern=SLUG_RE.pattern, max_length=100)]
