"""Study schedule: per-user FSRS card states and the append-only review log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 14:18:26.519355
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_states",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_review", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("buried_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_card_states_card_id_cards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_card_states_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "card_id", name=op.f("pk_card_states")),
    )
    with op.batch_alter_table("card_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_states_card_id"), ["card_id"], unique=False)
        batch_op.create_index("ix_card_states_user_id_due", ["user_id", "due"], unique=False)

    op.create_table(
        "review_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("state_before", sa.SmallInteger(), nullable=True),
        sa.Column("step_before", sa.Integer(), nullable=True),
        sa.Column("stability_before", sa.Float(), nullable=True),
        sa.Column("difficulty_before", sa.Float(), nullable=True),
        sa.Column("due_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_review_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_after", sa.SmallInteger(), nullable=False),
        sa.Column("step_after", sa.Integer(), nullable=True),
        sa.Column("stability_after", sa.Float(), nullable=False),
        sa.Column("difficulty_after", sa.Float(), nullable=False),
        sa.Column("due_after", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_review_logs_card_id_cards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_logs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_logs")),
    )
    with op.batch_alter_table("review_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_logs_card_id"), ["card_id"], unique=False)
        batch_op.create_index(
            "ix_review_logs_user_id_card_id", ["user_id", "card_id"], unique=False
        )
        batch_op.create_index(
            "ix_review_logs_user_id_idempotency_key", ["user_id", "idempotency_key"], unique=True
        )
        batch_op.create_index(
            "ix_review_logs_user_id_reviewed_at", ["user_id", "reviewed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_review_logs_user_id_reviewed_at")
        batch_op.drop_index("ix_review_logs_user_id_idempotency_key")
        batch_op.drop_index("ix_review_logs_user_id_card_id")
        batch_op.drop_index(batch_op.f("ix_review_logs_card_id"))

    op.drop_table("review_logs")
    with op.batch_alter_table("card_states", schema=None) as batch_op:
        batch_op.drop_index("ix_card_states_user_id_due")
        batch_op.drop_index(batch_op.f("ix_card_states_card_id"))

    op.drop_table("card_states")
