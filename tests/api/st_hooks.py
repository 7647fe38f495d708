"""Schemathesis hooks for tests/test_schemathesis.py (loaded with SCHEMATHESIS_HOOKS).

The fuzzer may revoke the very token it authenticates with (stateful runs chain
GET /api/v1/tokens into DELETE /api/v1/tokens/{id}); every request after that would be a 401 and
test nothing. So the bearer token comes from this provider: it mints a fresh token for the test
user straight in the database at start and whenever a response is a 401.

Environment: GRADCARDS_DATABASE_URL (the server's database) and GRADCARDS_FUZZ_USER.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

import schemathesis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.tokens import create_token
from app.db import make_engine, make_sessionmaker
from app.models import User


@cache
def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(os.environ["GRADCARDS_DATABASE_URL"]))


def mint_token() -> str:
    """A new API token for the fuzz user."""
    with _sessions()() as session:
        user = session.scalar(select(User).where(User.name == os.environ["GRADCARDS_FUZZ_USER"]))
        assert user is not None, "the fuzz user must exist before schemathesis starts"
        _, token = create_token(session=session, user=user, name="fuzz", now=datetime.now(UTC))
        return token


@schemathesis.auth(retry_on=[401])
class FreshBearer:
    """Authorization: Bearer <a live token of the fuzz user>."""

    def get(self, case: Any, context: Any) -> str:
        return mint_token()

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
