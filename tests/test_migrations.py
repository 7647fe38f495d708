"""The schema comes only from Alembic: head matches the models, and downgrade works."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app.config import Settings
from app.db import make_engine
from app.migrate import downgrade, upgrade
from app.models import Base


def test_upgrade_head_matches_the_models(migrated: Settings) -> None:
    engine = make_engine(migrated.database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_base_removes_every_table_and_upgrade_restores_them(migrated: Settings) -> None:
    engine = make_engine(migrated.database_url)
    downgrade(migrated.database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(migrated.database_url)
    engine.dispose()
    engine = make_engine(migrated.database_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()
