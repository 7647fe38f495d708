"""Failed-login limits per account name and per client address, kept in the database."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import LoginFailure


def login_retry_after(
    *, session: Session, settings: Settings, account: str, address: str, now: datetime
) -> int | None:
    """Seconds until a login may be tried again, or None when it may be tried now."""
    window = timedelta(seconds=settings.login_window_seconds)
    waits = [
        _wait(
            session,
            LoginFailure.account == account,
            settings.login_attempts_per_account,
            now,
            window,
        ),
        _wait(
            session,
            LoginFailure.address == address,
            settings.login_attempts_per_address,
            now,
            window,
        ),
    ]
    blocked = [wait for wait in waits if wait is not None]
    return max(blocked) if blocked else None


def _wait(
    session: Session,
    who: ColumnElement[bool],
    limit: int,
    now: datetime,
    window: timedelta,
) -> int | None:
    recent = (
        select(LoginFailure.failed_at)
        .where(who, LoginFailure.failed_at > now - window)
        .order_by(LoginFailure.failed_at.desc())
        .limit(limit)
    )
    times = list(session.scalars(recent))
    if len(times) < limit:
        return None
    # The limit-th most recent failure is the one whose expiry reopens a slot.
    reopens = times[-1] + window
    return max(1, math.ceil((reopens - now).total_seconds()))


def record_login_failure(
    *, session: Session, settings: Settings, account: str, address: str, now: datetime
) -> None:
    """Remember one failed login (and forget failures older than the window)."""
    cutoff = now - timedelta(seconds=settings.login_window_seconds)
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= cutoff))
    session.add(LoginFailure(account=account, address=address[:64], failed_at=now))
    session.commit()


def clear_login_failures(*, session: Session, account: str) -> None:
    """Forget an account's failures after it logs in (its address's failures stay)."""
    session.execute(delete(LoginFailure).where(LoginFailure.account == account))


def failure_count(*, session: Session, account: str) -> int:
    """How many failures are on record for `account` (for tests and the CLI)."""
    return session.scalar(select(func.count()).where(LoginFailure.account == account)) or 0
