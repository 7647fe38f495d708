"""Alembic environment: the URL comes from the caller (app.migrate) or from Settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from app.config import get_settings
from app.db import make_engine
from app.models import Base

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return str(config.attributes.get("database_url") or get_settings().database_url)


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Instances started together all migrate at start: one takes the lock and migrates, the others
# wait for it, then find the database at head and do nothing.
MIGRATION_LOCK_KEY = 7_211_904_211  # any constant; names the lock in pg_locks
MIGRATION_WAIT_MS = 120_000


def run_migrations_online() -> None:
    engine = make_engine(database_url(), sqlite_write_lock=True)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Batch mode rebuilds a table by copying it and dropping the old one, and with
                # foreign keys on SQLite's DROP TABLE first deletes every row, cascading to the
                # rows that reference it: rebuilding `users` or `cards` would empty every
                # user's reviews. Off for the migration, on the raw connection before any
                # BEGIN (inside a transaction the pragma is a no-op); foreign_key_check below
                # proves the copy left every reference intact.
                raw = connection.connection.dbapi_connection
                assert raw is not None
                raw.execute("PRAGMA foreign_keys=OFF")
                connection.exec_driver_sql(f"PRAGMA busy_timeout={MIGRATION_WAIT_MS}")
                connection.commit()  # end the transaction the pragma began; Alembic starts its own
            # Batch mode lets ALTERs work on SQLite, which cannot alter most constraints.
            context.configure(
                connection=connection, target_metadata=target_metadata, render_as_batch=True
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Held until this transaction ends, so before the version table is read.
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                context.run_migrations()
                if connection.dialect.name == "sqlite":
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left dangling references: {broken[:5]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
