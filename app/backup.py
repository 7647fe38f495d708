"""Back up and restore a SQLite database with SQLite's online backup API (safe while serving)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from app.db import SQLITE_BUSY_TIMEOUT_MS
from app.migrate import alembic_config

PG_DUMP_HINT = (
    "gradcards backup copies SQLite databases only. For PostgreSQL use its own tools: "
    "pg_dump --format=custom --file=gradcards.dump DBNAME to back up, "
    "pg_restore --clean --if-exists --dbname=DBNAME gradcards.dump to restore."
)


class BackupError(Exception):
    """A backup or restore was refused or failed; nothing was changed."""


def sqlite_path(database_url: str) -> Path:
    """The file of a SQLite URL; BackupError (pointing to pg_dump) for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(PG_DUMP_HINT)
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def backup_database(*, database_url: str, target: Path) -> Path:
    """Copy the live database into the new file `target` (never overwritten)."""
    source = sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"{source}: no database to back up")
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such directory")
    try:
        with closing(_connect(source)) as live, closing(sqlite3.connect(target)) as copy:
            live.backup(copy)
            # A single self-contained file: no -wal file to forget beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {error}") from error
    return target


def restore_database(*, database_url: str, source: Path) -> str:
    """Replace the database's contents with the backup `source`; returns its schema revision.

    The copy goes through the backup API in one locked step, so a running server sees either
    the old database or the restored one, never a mixture; the caller then migrates to head.
    """
    target = sqlite_path(database_url)
    revision = check_backup(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(sqlite3.connect(source)) as backup, closing(_connect(target)) as live:
            backup.backup(live)
    except sqlite3.Error as error:
        raise BackupError(f"restore failed, the database is unchanged: {error}") from error
    return revision


def check_backup(source: Path) -> str:
    """The schema revision of the gradcards backup at `source`; BackupError if it is not one."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    with source.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{source}: not a SQLite database")
    try:
        # Read-only: checking a backup must not change it.
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as db:
            status = db.execute("PRAGMA quick_check").fetchone()[0]
            rows = db.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error as error:
        raise BackupError(f"{source}: not a gradcards backup ({error})") from error
    if status != "ok":
        raise BackupError(f"{source}: the file is damaged ({status})")
    known = {script.revision for script in _scripts().walk_revisions()}
    if len(rows) != 1 or rows[0][0] not in known:
        found = ", ".join(str(row[0]) for row in rows) or "none"
        raise BackupError(
            f"{source}: schema revision {found} is not one this version of gradcards knows"
        )
    return str(rows[0][0])


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return connection
