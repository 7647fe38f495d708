"""API tokens: created (shown once), listed, revoked, and resolved to their user."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from app.auth.errors import AccountError
from app.models import ApiToken, User

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gc_"
# Writing last_used_at on every request would make each API read a write; once a minute will do.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token itself, which is not stored."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise AccountError("A token name is 1-100 characters.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, name=name, token_hash=_hash(token), prefix=token[:10], created_at=now
    )
    session.add(row)
    session.commit()
    return row, token


def list_tokens(*, session: Session, user: User) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(session.scalars(query))


def revoke_token(*, session: Session, user: User, token_id: int, now: datetime) -> bool:
    """Revoke one of the user's tokens; False when the user has no such live token."""
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return False
    row.revoked_at = now
    session.commit()
    return True


def user_for_token(*, session: Session, token: str, now: datetime) -> User | None:
    """The owner of a live token, or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    api_token, user = row
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
        _touch(session, api_token.id, now)
    return user


def _touch(session: Session, token_id: int, now: datetime) -> None:
    """Record that the token was used: best effort, in a write transaction of its own.

    Upgrading the request's read transaction to a write is what SQLite refuses at once with
    "database is locked" when another worker wrote since the read began, so the read ends first
    (commit keeps the loaded objects) and the UPDATE starts a fresh transaction. The condition
    makes concurrent requests with one token, even across workers, write it once a minute.
    """
    session.commit()
    try:
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < now - LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except (OperationalError, PoolTimeout) as error:
        # Bookkeeping never fails a request: the next use a minute later writes it instead.
        session.rollback()
        log.info("token last-used time not written: %s", error)
