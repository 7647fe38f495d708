"""Run the Alembic migrations programmatically (used by the CLI, `serve` and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from app.paths import resource_dir


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at our migrations and at `database_url`."""
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    # Passed as an attribute, not an ini option: ini interpolation would mangle '%' in passwords.
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade the database to `revision` (head by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Downgrade the database to `revision` ("base" removes every table)."""
    command.downgrade(alembic_config(database_url), revision)
