"""Snapshots of a whole database, to prove that a failed operation changed nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.db import make_engine
from app.models import Base


def table_rows(database_url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in primary-key order."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for name, table in Base.metadata.tables.items()
            }
    finally:
        engine.dispose()


def sqlite_file_digest(database_url: str) -> str:
    """A hash over the SQLite file and its WAL: equal digests, byte-for-byte equal database."""
    path = Path(str(make_url(database_url).database))
    digest = hashlib.sha256()
    for part in (path, path.with_name(path.name + "-wal")):
        digest.update(part.read_bytes() if part.exists() else b"<absent>")
    return digest.hexdigest()
