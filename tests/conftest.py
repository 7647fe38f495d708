"""Shared fixtures: every test that touches a database gets a fresh one of its own.

Database tests run on SQLite always, and on PostgreSQL too when GRADCARDS_TEST_DATABASE_URL
points at a server whose user may create databases. Without it those runs skip; with
GRADCARDS_REQUIRE_SERVICES=1 (set by .ci/run) a skip becomes a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.auth.tokens import create_token
from app.auth.users import create_user
from app.catalog.loader import deck_files, import_decks
from app.catalog.registries import catalog_registries
from app.config import Settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.main import create_app
from app.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
CONTENT_DIR = REPO / "content"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def require_or_skip(reason: str) -> None:
    """Skip, unless CI said the service is required: then fail."""
    if os.environ.get("GRADCARDS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required by GRADCARDS_REQUIRE_SERVICES=1: {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a new, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    admin_url = os.environ.get("GRADCARDS_TEST_DATABASE_URL", "")
    if not admin_url:
        require_or_skip("GRADCARDS_TEST_DATABASE_URL is not set (no PostgreSQL server)")
    name = f"gradcards_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a test: its own database, data dir and the bundled content."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        content_dir=CONTENT_DIR,
        secret_key=TEST_SECRET,
    )


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    """Settings whose database has been upgraded to head."""
    upgrade(settings.database_url)
    return settings


@pytest.fixture
def session(migrated: Settings) -> Iterator[Session]:
    """A session on a migrated, empty database."""
    engine = make_engine(migrated.database_url)
    with make_sessionmaker(engine)() as db_session:
        yield db_session
    engine.dispose()


@pytest.fixture
def client(migrated: Settings) -> Iterator[TestClient]:
    """A client of an app on a migrated, empty database."""
    with TestClient(create_app(migrated)) as test_client:
        yield test_client


@pytest.fixture
def loaded(migrated: Settings) -> Settings:
    """Settings whose database holds the bundled decks of content/."""
    engine = make_engine(migrated.database_url)
    with session_scope(make_sessionmaker(engine)) as db_session:
        import_decks(db_session, deck_files(CONTENT_DIR), catalog_registries(CONTENT_DIR))
    engine.dispose()
    return migrated


@pytest.fixture
def loaded_client(loaded: Settings) -> Iterator[TestClient]:
    """A client of an app whose database holds the bundled decks."""
    with TestClient(create_app(loaded)) as test_client:
        yield test_client


# --- accounts and study (issue 5) -------------------------------------------------------------

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, noon UTC


class FakeClock:
    """A clock the test moves by hand; create_app(clock=...) reads it, nothing sleeps."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Account:
    """A user made for a test, with an API token."""

    name: str
    user_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def study_settings(loaded: Settings) -> Settings:
    """The bundled decks, and Argon2 parameters cheap enough for tests (never for real use)."""
    return loaded.model_copy(update={"password_hash_time_cost": 1, "password_hash_memory_kib": 8})


@pytest.fixture
def study_db(study_settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory on the study database."""
    engine = make_engine(study_settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def study_client(study_settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """A client of an app with the decks loaded, cheap hashing and the test's clock."""
    with TestClient(create_app(study_settings, clock=clock)) as test_client:
        yield test_client


@pytest.fixture
def make_account(
    study_settings: Settings, study_db: sessionmaker[Session], clock: FakeClock
) -> Callable[[str], Account]:
    """Create a user (password 'correct horse battery') and an API token for them."""

    def make(name: str) -> Account:
        with study_db() as db_session:
            user = create_user(
                session=db_session,
                settings=study_settings,
                name=name,
                password="correct horse battery",
                by_admin=True,
            )
            _, token = create_token(session=db_session, user=user, name="tests", now=clock())
            return Account(user.name, user.id, token)

    return make
