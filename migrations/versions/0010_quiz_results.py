"""Finished quizzes per user (quiz_results): the stats page's quiz history.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quiz_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deck", sa.String(length=100), nullable=True),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("right", sa.SmallInteger(), nullable=False),
        sa.Column("total", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_quiz_results_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_results")),
    )
    op.create_index("ix_quiz_results_user_id_taken_at", "quiz_results", ["user_id", "taken_at"])


def downgrade() -> None:
    op.drop_index("ix_quiz_results_user_id_taken_at", table_name="quiz_results")
    op.drop_table("quiz_results")
