"""Browser sessions: a random id in a signed cookie, its hash and a CSRF token in the database.

A visitor who has not logged in gets an anonymous session (it only carries the CSRF token of
the log-in and sign-up forms). It has no database row: its CSRF token is derived from the signed
cookie, so anonymous requests, however many, never write to the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import AuthSession, User

COOKIE_NAME = "gradcards_session"


@dataclass(frozen=True)
class SessionInfo:
    """What a request knows about its browser session (a snapshot, safe outside a DB session)."""

    id_hash: str
    csrf_token: str
    user_id: int | None
    user_name: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signature(secret: str, token: str) -> str:
    mac = hmac.new(secret.encode(), b"session:" + token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign(secret: str, token: str) -> str:
    """The cookie value for session `token`."""
    return f"{token}.{_signature(secret, token)}"


def unsign(secret: str, value: str) -> str | None:
    """The session token in a cookie value, or None if the signature is wrong."""
    token, _, signature = value.partition(".")
    if not token or len(value) > 200:
        return None
    return token if hmac.compare_digest(signature, _signature(secret, token)) else None


ANONYMOUS_PREFIX = "anon-"


def start_anonymous_session(*, settings: Settings) -> tuple[str, SessionInfo]:
    """A session for a visitor who has not logged in: a signed cookie, no database row."""
    token = ANONYMOUS_PREFIX + secrets.token_urlsafe(32)
    return sign(settings.secret_key, token), _anonymous_info(settings.secret_key, token)


def _anonymous_info(secret: str, token: str) -> SessionInfo:
    csrf = hmac.new(secret.encode(), b"csrf:" + token.encode(), hashlib.sha256).digest()
    return SessionInfo("", base64.urlsafe_b64encode(csrf).decode().rstrip("="), None, None)


def start_session(
    *, session: Session, settings: Settings, user: User | None, now: datetime
) -> tuple[str, SessionInfo]:
    """A new session (anonymous when user is None); returns the cookie value and its info."""
    if user is None:
        return start_anonymous_session(settings=settings)
    token = secrets.token_urlsafe(32)
    row = AuthSession(
        id_hash=_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(days=settings.session_days),
    )
    session.add(row)
    session.commit()
    info = SessionInfo(row.id_hash, row.csrf_token, row.user_id, user.name)
    return sign(settings.secret_key, token), info


def load_session(
    *, session: Session, settings: Settings, cookie: str, now: datetime
) -> SessionInfo | None:
    """The live session a cookie names, or None (bad signature, unknown or expired)."""
    token = unsign(settings.secret_key, cookie)
    if token is None:
        return None
    if token.startswith(ANONYMOUS_PREFIX):
        return _anonymous_info(settings.secret_key, token)
    row = session.execute(
        select(AuthSession, User.name)
        .outerjoin(User, AuthSession.user_id == User.id)
        .where(AuthSession.id_hash == _hash(token), AuthSession.expires_at > now)
    ).first()
    if row is None:
        return None
    auth, name = row
    return SessionInfo(auth.id_hash, auth.csrf_token, auth.user_id, name)


def rotate_session(
    *, session: Session, settings: Settings, old: SessionInfo | None, user: User, now: datetime
) -> tuple[str, SessionInfo]:
    """Log `user` in with a fresh session id; the pre-login id stops working at once."""
    if old is not None and old.id_hash:
        session.execute(delete(AuthSession).where(AuthSession.id_hash == old.id_hash))
    # Logins are rare enough to be the moment to sweep out expired sessions.
    session.execute(delete(AuthSession).where(AuthSession.expires_at <= now))
    return start_session(session=session, settings=settings, user=user, now=now)


def end_session(*, session: Session, info: SessionInfo) -> None:
    """Log out: delete the session row (an anonymous session has none)."""
    if not info.id_hash:
        return
    session.execute(delete(AuthSession).where(AuthSession.id_hash == info.id_hash))
    session.commit()


def csrf_matches(info: SessionInfo | None, token: str | None) -> bool:
    """True when `token` is this session's CSRF token (compared in constant time)."""
    if info is None or not token:
        return False
    return hmac.compare_digest(info.csrf_token.encode(), token.encode())


def set_session_cookie(response: Response, *, settings: Settings, value: str) -> None:
    """Attach the session cookie: HttpOnly, SameSite=Lax, Secure when configured."""
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, *, settings: Settings) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        COOKIE_NAME, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )
