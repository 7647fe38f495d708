"""Who is asking: the session snapshot set by the middleware, or an API bearer token."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.auth.sessions import COOKIE_NAME, SessionInfo, csrf_matches, load_session
from app.auth.tokens import user_for_token
from app.config import Settings
from app.deps import Clock, NowDep, SessionDep
from app.models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Declares the bearer scheme in the OpenAPI document (so /docs has Authorize, and each per-user
# operation says it needs the token); auto_error off: api_user reads the header and answers.
BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="An API token from /settings or `gradcards token create NAME`.",
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)]
BEARER = {"WWW-Authenticate": "Bearer"}


def session_info_for(request: Request, session: Session) -> SessionInfo | None:
    """Load the browser session named by the request's cookie (used by the middleware)."""
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        return None
    settings: Settings = request.app.state.settings
    clock: Clock = request.app.state.clock
    return load_session(session=session, settings=settings, cookie=cookie, now=clock())


def current_session(request: Request) -> SessionInfo | None:
    """The request's live browser session, if any (set by the middleware in app.main)."""
    info: SessionInfo | None = getattr(request.state, "auth", None)
    return info


def presented_credentials(request: Request) -> str | None:
    """The bearer token, or None for a logged-in session; 401 (403 for CSRF) when neither holds.

    Needs no database, so the study routes can run it as an async dependency, ahead of body
    validation: a request with no credentials gets 401, not a 422 about its body.
    """
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "Use 'Authorization: Bearer <token>'.", headers=BEARER)
        return token.strip()
    info = current_session(request)
    if info is None or info.user_id is None:
        raise HTTPException(401, "Log in, or send 'Authorization: Bearer <token>'.", headers=BEARER)
    # A cookie rides along on cross-site requests; a header a foreign page cannot set proves intent.
    if request.method not in SAFE_METHODS and not csrf_matches(
        info, request.headers.get("x-csrf-token")
    ):
        raise HTTPException(403, "Missing or wrong X-CSRF-Token header.")
    return None


def api_user(request: Request, session: SessionDep, now: NowDep, _bearer: Bearer = None) -> User:
    """The user behind a bearer token or a logged-in session; 401 (or 403 for CSRF) otherwise."""
    token = presented_credentials(request)
    if token is not None:
        user = user_for_token(session=session, token=token, now=now)
        if user is None:
            raise HTTPException(401, "The API token is not valid or was revoked.", headers=BEARER)
        return user
    info = current_session(request)
    user = None if info is None or info.user_id is None else session.get(User, info.user_id)
    if user is None:
        raise HTTPException(401, "Log in again.", headers=BEARER)
    return user


async def _presented_credentials(request: Request, _bearer: Bearer = None) -> None:
    presented_credentials(request)


# For routes that authenticate inside one threadpool trip (as_api_user): the database-free part
# of api_user runs first, as a dependency, so it precedes the body's validation as ApiUserDep does.
CredentialsDep = Depends(_presented_credentials)


ApiUserDep = Annotated[User, Depends(api_user)]

T = TypeVar("T")


async def as_api_user(request: Request, now: datetime, work: Callable[[Session, User], T]) -> T:
    """Open a session, authenticate as api_user does and run `work`, in one threadpool trip.

    For the hot routes (the study loop): as dependencies, the session, the user and a sync
    endpoint are four trips to the threadpool per request, each a thread wake-up and a GIL
    hand-off, which under load cost more than the study step itself.
    """

    def run() -> T:
        with request.app.state.sessionmaker() as session:
            return work(session, api_user(request, session, now))

    return await anyio.to_thread.run_sync(run, limiter=study_limiter(request))


def study_limiter(request: Request) -> CapacityLimiter:
    """The event loop's limiter for as_api_user's threads (Settings.study_threads).

    Not the shared thread pool of 40: a study step is a few milliseconds of Python, and with 32
    of them in threads at once each got a thin slice of the interpreter lock, so the SQLite
    writer's turn (one at a time) stretched to many times its CPU time and everybody queued on
    it. With a few threads the rest wait in the event loop instead, and the turn stays short.
    One per event loop, made on first use: a limiter belongs to its loop, and a worker has one
    loop while tests may drive one app from several.
    """
    limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
        request.app.state.study_limiters
    )
    loop = asyncio.get_running_loop()
    limiter = limiters.get(loop)
    if limiter is None:
        settings: Settings = request.app.state.settings
        limiter = limiters[loop] = CapacityLimiter(settings.study_threads)
    return limiter
