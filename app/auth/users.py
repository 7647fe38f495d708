"""Users: sign-up, login (rate limited, constant time) and the study settings they keep."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.errors import AccountError, NameTaken, RateLimited, SignupClosed
from app.auth.passwords import hash_password, password_problem, verify_password
from app.auth.ratelimit import clear_login_failures, login_retry_after, record_login_failure
from app.config import Settings
from app.models import User

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
WRONG_LOGIN = "Wrong name or password."


def normalise_name(name: str) -> str:
    """The stored form of a user name: trimmed and lower-cased."""
    return name.strip().lower()


def create_user(
    *, session: Session, settings: Settings, name: str, password: str, by_admin: bool = False
) -> User:
    """Create an account; the web passes by_admin=False so a closed sign-up is refused."""
    if settings.signup == "closed" and not by_admin:
        raise SignupClosed("Sign-up is closed on this server; ask its administrator.")
    name = normalise_name(name)
    if not NAME_RE.match(name):
        raise AccountError(
            "A name is 2-40 characters: letters, digits, '.', '_' or '-', starting with a "
            "letter or digit."
        )
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise NameTaken(f"The name {name!r} is taken.")
    user = User(name=name, password_hash=hash_password(settings=settings, password=password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # lost a race with another sign-up of the same name
        raise NameTaken(f"The name {name!r} is taken.") from None
    return user


def authenticate(
    *,
    session: Session,
    settings: Settings,
    name: str,
    password: str,
    address: str,
    now: datetime,
) -> User:
    """The user whose name and password these are; RateLimited or AccountError otherwise."""
    account = normalise_name(name)[:40]
    wait = login_retry_after(
        session=session, settings=settings, account=account, address=address, now=now
    )
    if wait is not None:
        raise RateLimited(wait)
    user = session.scalar(select(User).where(User.name == account))
    # Verify even without a user, so the response time does not reveal which names exist.
    hashed = user.password_hash if user is not None else None
    if not verify_password(settings=settings, password=password, password_hash=hashed):
        record_login_failure(
            session=session, settings=settings, account=account, address=address, now=now
        )
        raise AccountError(WRONG_LOGIN)
    assert user is not None
    clear_login_failures(session=session, account=account)
    session.commit()
    return user


def get_user(*, session: Session, name: str) -> User | None:
    """The user called `name`, or None."""
    return session.scalar(select(User).where(User.name == normalise_name(name)))
