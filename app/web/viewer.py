"""Who is looking at a page: the logged-in user, or a redirect to the login page and back."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from app.auth.dependencies import current_session
from app.models import User


def page_user(request: Request, session: Session) -> User | None:
    """The logged-in user of this browser, or None."""
    info = current_session(request)
    if info is None or info.user_id is None:
        return None
    return session.get(User, info.user_id)


def login_redirect(request: Request) -> RedirectResponse:
    """Send the browser to /login, remembering the page it asked for."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site; `default` otherwise (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
