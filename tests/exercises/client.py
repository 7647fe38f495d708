"""A client of an app built once per test module: exercises are stateless and need no data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.migrate import upgrade
from tests.conftest import CONTENT_DIR, TEST_SECRET


@pytest.fixture(scope="module")
def exercise_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app on a migrated, empty SQLite database, shared by a module's tests."""
    data_dir = tmp_path_factory.mktemp("exercises")
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'test.db'}",
        content_dir=CONTENT_DIR,
        secret_key=TEST_SECRET,
    )
    upgrade(settings.database_url)
    with TestClient(create_app(settings)) as client:
        yield client
