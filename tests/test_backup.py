"""Backup and restore: a SQLite round trip, also under a live engine; bad input changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.auth.tokens import create_token
from app.auth.users import create_user
from app.backup import BackupError, backup_database, check_backup, restore_database
from app.cli import load_content
from app.config import Settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.main import create_app
from app.migrate import upgrade
from app.models import User, utcnow
from tests.conftest import CONTENT_DIR
from tests.dbstate import sqlite_file_digest, table_rows


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings on a migrated SQLite database (backup is SQLite-only)."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    return Settings(
        data_dir=tmp_path,
        database_url=url,
        secret_key="k" * 40,
        password_hash_time_cost=1,
        password_hash_memory_kib=8,
    )


def count_users(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        count = int(connection.execute(text("SELECT count(*) FROM users")).scalar_one())
    engine.dispose()
    return count


def add_user(url: str, name: str) -> None:
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        session.add(User(name=name, password_hash="x"))
    engine.dispose()


def test_round_trip_restores_exactly_what_was_backed_up(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    url = sqlite_settings.database_url
    add_user(url, "ada")
    saved = table_rows(url)
    backup = backup_database(database_url=url, target=tmp_path / "backup.db")
    # The backup is one self-contained file, not in WAL mode.
    with sqlite3.connect(backup) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()
    add_user(url, "bob")
    assert count_users(url) == 2
    assert restore_database(database_url=url, source=backup) == check_backup(backup)
    assert table_rows(url) == saved


def test_restore_under_a_live_engine_is_seen_on_its_next_query(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    url = sqlite_settings.database_url
    backup = backup_database(database_url=url, target=tmp_path / "empty.db")
    live = make_engine(url)  # stands for a running server holding pooled connections
    try:
        with session_scope(make_sessionmaker(live)) as session:
            session.add(User(name="cy", password_hash="x"))
        restore_database(database_url=url, source=backup)
        with live.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    finally:
        live.dispose()


def test_a_backup_from_an_older_schema_is_restored_then_migrated(tmp_path: Path) -> None:
    old = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(old, "0001")
    live = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(live)
    revision = restore_database(database_url=live, source=tmp_path / "old.db")
    assert revision == "0001"
    upgrade(live)
    assert count_users(live) == 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_text("hello"), "not a SQLite database"),
        (
            lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(),
            "not a gradcards backup",
        ),
    ],
)
def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(
    sqlite_settings: Settings, tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    url = sqlite_settings.database_url
    add_user(url, "ada")
    before = sqlite_file_digest(url)
    bad = tmp_path / "bad.db"
    make(bad)
    with pytest.raises(BackupError, match=message):
        restore_database(database_url=url, source=bad)
    assert sqlite_file_digest(url) == before


def test_restore_refuses_a_schema_it_does_not_know(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    backup = backup_database(database_url=sqlite_settings.database_url, target=tmp_path / "b.db")
    with sqlite3.connect(backup) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    db.close()
    with pytest.raises(BackupError, match="schema revision 9999 is not one"):
        restore_database(database_url=sqlite_settings.database_url, source=backup)


def test_backup_never_overwrites_and_needs_a_directory(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    url = sqlite_settings.database_url
    existing = tmp_path / "taken.db"
    existing.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup_database(database_url=url, target=existing)
    assert existing.read_text() == "keep me"
    with pytest.raises(BackupError, match="no such directory"):
        backup_database(database_url=url, target=tmp_path / "missing" / "b.db")
    with pytest.raises(BackupError, match="no database to back up"):
        backup_database(database_url=f"sqlite:///{tmp_path / 'none.db'}", target=tmp_path / "n")


def test_postgresql_is_pointed_to_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+psycopg://user@127.0.0.1/gradcards"
    with pytest.raises(BackupError, match="pg_dump --format=custom"):
        backup_database(database_url=url, target=tmp_path / "b.db")
    with pytest.raises(BackupError, match="pg_restore"):
        restore_database(database_url=url, source=tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()


def test_a_backup_taken_while_serving_keeps_reviews(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = sqlite_settings.model_copy(update={"content_dir": CONTENT_DIR})
    load_content(settings)
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as session:
        user = create_user(
            session=session, settings=settings, name="ada", password="x" * 12, by_admin=True
        )
        _, token = create_token(session=session, user=user, name="t", now=utcnow())
    engine.dispose()
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        body = {"card": "chain-rule", "rating": 3, "idempotency_key": "k1"}
        assert client.post("/api/v1/reviews", json=body, headers=auth).status_code == 201
        backup = backup_database(database_url=settings.database_url, target=tmp_path / "b.db")
        assert client.post("/api/v1/reviews/undo", headers=auth).status_code == 200
        assert client.get("/api/v1/reviews", headers=auth).json() == []
        restore_database(database_url=settings.database_url, source=backup)
        reviews = client.get("/api/v1/reviews", headers=auth).json()
        assert [review["card"] for review in reviews] == ["chain-rule"]
