"""Fixtures for the scheduling service tests: a session on the study database, and ada."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.models import User
from tests.conftest import Account


@pytest.fixture
def db(study_db: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the test's study database (the bundled deck loaded)."""
    with study_db() as session:
        yield session


@pytest.fixture
def ada(db: Session, make_account: Callable[[str], Account]) -> User:
    """A user with an account and a token."""
    return db.get_one(User, make_account("ada").user_id)
