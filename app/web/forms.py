"""Helpers for the account pages: the per-browser session and the CSRF check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from app.auth.dependencies import current_session
from app.auth.sessions import SessionInfo, csrf_matches, set_session_cookie, start_session
from app.config import Settings

# The hidden field every state-changing form posts; require_csrf checks it.
CsrfField = Annotated[str | None, Form(max_length=200)]

CSRF_FAILED = "This form expired or did not come from this site. Reload the page and try again."


def browser_session(
    request: Request, session: Session, settings: Settings
) -> tuple[SessionInfo, str | None]:
    """The request's session, starting an anonymous one (for the form's CSRF token) if needed.

    Returns the session and, when a new one was started, the cookie value to set.
    """
    info = current_session(request)
    if info is not None:
        return info, None
    clock = request.app.state.clock
    cookie, info = start_session(session=session, settings=settings, user=None, now=clock())
    request.state.auth = info  # so base.html sees the same session while rendering
    return info, cookie


def with_cookie(response: HTMLResponse, cookie: str | None, settings: Settings) -> HTMLResponse:
    """Set the session cookie on `response` when a new session was started."""
    if cookie is not None:
        set_session_cookie(response, settings=settings, value=cookie)
    return response


def require_csrf(request: Request, token: str | None) -> SessionInfo:
    """The request's session if `token` is its CSRF token; 403 otherwise."""
    info = current_session(request)
    if not csrf_matches(info, token):
        raise HTTPException(403, CSRF_FAILED)
    assert info is not None
    return info


def client_address(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with --proxy-headers to make it the client)."""
    return request.client.host if request.client else "unknown"
