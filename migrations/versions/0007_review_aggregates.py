"""Aggregates of the review log (review_days, review_totals), backfilled from the log.

Stats, the overview and the streak read these instead of every review. Study days are counted
in each user's time zone with the 4 AM rollover (as app.srs.days does; repeated here so the
migration does not change when the app does).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 19:30:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLOVER = time(4)
MATURE = 2  # fsrs.State.Review
AGAIN = 1  # fsrs.Rating.Again
BATCH = 10_000


def upgrade() -> None:
    op.create_table(
        "review_days",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_review_days_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_review_days")),
    )
    op.create_table(
        "review_totals",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("difficulty", sa.String(length=10), nullable=False),
        sa.Column("reviews", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=False),
        sa.Column("mature_reviews", sa.BigInteger(), nullable=False),
        sa.Column("mature_passed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_review_totals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "difficulty", name=op.f("pk_review_totals")),
    )
    _backfill()


def downgrade() -> None:
    op.drop_table("review_totals")
    op.drop_table("review_days")


def _backfill() -> None:
    bind = op.get_bind()
    totals = sa.text(
        "INSERT INTO review_totals"
        " (user_id, difficulty, reviews, duration_ms, mature_reviews, mature_passed)"
        " SELECT r.user_id, c.difficulty, COUNT(*), COALESCE(SUM(r.duration_ms), 0),"
        f" SUM(CASE WHEN r.state_before = {MATURE} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN r.state_before = {MATURE} AND r.rating > {AGAIN} THEN 1 ELSE 0 END)"
        " FROM review_logs r JOIN cards c ON c.id = r.card_id"
        " GROUP BY r.user_id, c.difficulty"
    )
    bind.execute(totals)
    # Days need each user's time zone, which SQLite cannot apply: count them here, a user at a
    # time (the primary key index gives each user's reviews without a sort of the whole log).
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("time_zone", sa.String()))
    logs = sa.table(
        "review_logs",
        sa.column("user_id", sa.Integer()),
        sa.column("reviewed_at", sa.DateTime(timezone=True)),
        sa.column("duration_ms", sa.Integer()),
    )
    days = sa.table(
        "review_days",
        sa.column("user_id", sa.Integer()),
        sa.column("day", sa.Date()),
        sa.column("reviews", sa.Integer()),
        sa.column("duration_ms", sa.BigInteger()),
        sa.column("streak", sa.Integer()),
    )
    for user_id, zone in bind.execute(sa.select(users.c.id, users.c.time_zone)).all():
        counts: defaultdict[date, list[int]] = defaultdict(lambda: [0, 0])
        moments = bind.execute(
            sa.select(logs.c.reviewed_at, logs.c.duration_ms).where(logs.c.user_id == user_id)
        )
        for reviewed_at, duration_ms in moments:
            count = counts[_study_day(_utc(reviewed_at), zone or "UTC")]
            count[0] += 1
            count[1] += duration_ms or 0
        rows = []
        run, previous = 0, None
        for day in sorted(counts):  # the run of consecutive study days ending on each day
            run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
            previous = day
            n, ms = counts[day]
            rows.append(
                {"user_id": user_id, "day": day, "reviews": n, "duration_ms": ms, "streak": run}
            )
        for start in range(0, len(rows), BATCH):
            bind.execute(sa.insert(days), rows[start : start + BATCH])


def _utc(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite without a declared type hands back its text
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _study_day(moment: datetime, zone: str) -> date:
    # Offsets are whole quarter hours, so every instant of a UTC quarter hour has the same day.
    quarter = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    return _quarter_day(quarter, zone)


@lru_cache(maxsize=65536)
def _quarter_day(quarter: datetime, zone: str) -> date:
    local = quarter.astimezone(ZoneInfo(zone))
    return local.date() if local.time() >= ROLLOVER else local.date() - timedelta(days=1)
