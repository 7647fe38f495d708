"""Review log keeps the card's bury date from before the review, so undo restores it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_logs") as batch_op:
        batch_op.add_column(
            sa.Column("buried_until_before", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("review_logs") as batch_op:
        batch_op.drop_column("buried_until_before")
