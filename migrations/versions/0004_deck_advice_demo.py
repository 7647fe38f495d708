"""A deck's advice may name the demo that works it through (decks.advice_demo).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 14:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decks") as batch_op:
        batch_op.add_column(sa.Column("advice_demo", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decks") as batch_op:
        batch_op.drop_column("advice_demo")
