"""The schema comes only from Alembic: head matches the models, and downgrade works."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, text

from app.catalog.loader import deck_files, import_decks
from app.catalog.registries import catalog_registries
from app.config import Settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.migrate import downgrade, upgrade
from app.models import Base, ReviewLog
from app.srs.aggregates import count_logs
from app.srs.days import study_day
from tests.conftest import CONTENT_DIR


def test_upgrade_head_matches_the_models(migrated: Settings) -> None:
    engine = make_engine(migrated.database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_base_removes_every_table_and_upgrade_restores_them(migrated: Settings) -> None:
    engine = make_engine(migrated.database_url)
    downgrade(migrated.database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(migrated.database_url)
    engine.dispose()
    engine = make_engine(migrated.database_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()


def test_instances_migrating_at_once_take_turns(database_url: str) -> None:
    # Several containers start together and each runs `upgrade head` on the same database.
    # Processes, not threads: Alembic's migration context is global to a process.
    script = "import sys; from app.migrate import upgrade; upgrade(sys.argv[1])"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, database_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert diff == []
    assert len(versions) == 1


def test_0007_backfills_the_review_aggregates_from_the_log(database_url: str) -> None:
    # The decks go in through today's loader (today's schema), then the schema goes back to 0006.
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        import_decks(session, deck_files(CONTENT_DIR), catalog_registries(CONTENT_DIR))
    engine.dispose()
    downgrade(database_url, "0006")
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    with engine.begin() as connection:
        cards = dict(connection.execute(text("SELECT id, difficulty FROM cards")).tuples().all())
        zones = {"tokyo": "Asia/Tokyo", "utc": "UTC", "idle": "UTC"}
        for name, zone in zones.items():
            connection.execute(
                text(
                    "INSERT INTO users (name, password_hash, desired_retention, new_per_day,"
                    " reviews_per_day, time_zone, created_at)"
                    " VALUES (:name, 'x', 0.9, 10, 200, :zone, :at)"
                ),
                {"name": name, "zone": zone, "at": start},
            )
        users = dict(connection.execute(text("SELECT name, id FROM users")).tuples().all())
        rng = random.Random(3)
        logs = []
        for n in range(300):
            name = rng.choice(["tokyo", "utc"])
            logs.append(
                {
                    "user_id": users[name],
                    "card_id": rng.choice(list(cards)),
                    "rating": rng.randint(1, 4),
                    # Every hour of the day, so 4 AM in both zones is crossed many times.
                    "reviewed_at": start + timedelta(hours=7 * n, seconds=rng.randint(0, 3599)),
                    "duration_ms": rng.choice([None, 700, 3000]),
                    "state_before": rng.choice([None, 1, 2, 3]),
                    "state_after": 2,
                    "stability_after": 1.0,
                    "difficulty_after": 5.0,
                    "due_after": start,
                }
            )
        connection.execute(insert(ReviewLog), logs)
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        days = set(
            connection.execute(
                text("SELECT user_id, day, reviews, duration_ms, streak FROM review_days")
            ).tuples()
        )
        kept = connection.execute(text("SELECT count(*) FROM review_logs")).scalar_one()
        totals = set(
            connection.execute(
                text(
                    "SELECT user_id, difficulty, reviews, duration_ms, mature_reviews,"
                    " mature_passed FROM review_totals"
                )
            ).tuples()
        )
    engine.dispose()
    zone_of = {users[name]: zone for name, zone in zones.items()}
    expected_days, expected_totals = count_logs(
        (
            row["user_id"],
            zone_of[row["user_id"]],
            row["reviewed_at"],
            row["rating"],
            row["state_before"],
            row["duration_ms"],
            cards[row["card_id"]],
        )
        for row in logs
    )
    as_date = {
        (u, d if isinstance(d, date) else date.fromisoformat(d), n, ms, run)
        for u, d, n, ms, run in days
    }
    assert as_date == {tuple(row.values()) for row in expected_days}
    assert totals == {tuple(row.values()) for row in expected_totals}
    assert sum(n for _, _, n, _, _ in days) == len(logs)
    assert users["idle"] not in {u for u, *_ in days}
    # Later revisions rebuild tables on SQLite (batch mode): no review may be lost by it.
    assert kept == len(logs)
    # In Tokyo (UTC+9) the study day rolls over at 19:00 UTC: a review at 20:00 UTC counts
    # for the next day there, not in UTC.
    tokyo_days = {d for u, d, *_ in as_date if u == users["tokyo"]}
    tokyo_logs = [row["reviewed_at"] for row in logs if row["user_id"] == users["tokyo"]]
    assert tokyo_days == {study_day(at, "Asia/Tokyo") for at in tokyo_logs}
    assert tokyo_days != {study_day(at, "UTC") for at in tokyo_logs}
