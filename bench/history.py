"""Benchmark what a long history costs: stats, the home overview and study/next for a user with
10,000 reviews against a new user, in one process on one SQLite database.

Run with `python -m bench.history` (`--users 200 --rows 200000` by default; `--quick` for a small
run). The database is built at migration 0006, filled with Core executemany (seconds), then
upgraded to head, so the migrations' backfills run over the generated history too. Each figure
is the median of many calls, the two users interleaved call by call; the target is a ratio of at
most 1.5 for stats.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.catalog.loader import deck_files, import_decks
from app.catalog.registries import catalog_registries
from app.config import Settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.migrate import upgrade
from app.models import Card, CardState, ReviewLog, User
from app.srs.overview import user_overview
from app.srs.queue import StudyFilter, next_card
from app.srs.stats import user_stats

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HEAVY_REVIEWS = 10_000
HEAVY_DAYS = 400  # the heavy user studied every day for 400 days: a 400-day streak
BASE_REVISION = "0006"  # the schema before the history aggregates; head adds and backfills them


def build(url: str, *, users: int, rows: int, seed: int = 0) -> tuple[int, int]:
    """Fill a new database; returns (heavy user id, new user id)."""
    rng = random.Random(seed)
    upgrade(url, BASE_REVISION)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with session_scope(factory) as session:
        import_decks(session, deck_files(CONTENT_DIR), catalog_registries(CONTENT_DIR))
    with engine.begin() as connection:
        card_ids = list(connection.scalars(select(Card.id)))
        connection.execute(
            insert(User),
            [
                {"name": f"user{n}", "password_hash": "x", "created_at": NOW - timedelta(days=500)}
                for n in range(users)
            ],
        )
        user_ids = list(connection.scalars(select(User.id).order_by(User.id)))
        heavy, fresh = user_ids[0], user_ids[-1]
        others = user_ids[1:-1]
        left = max(0, rows - HEAVY_REVIEWS)
        plan = {heavy: HEAVY_REVIEWS} | {
            user: left // len(others) + (1 if n < left % len(others) else 0)
            for n, user in enumerate(others)
        }
        for user_id, count in plan.items():
            days = HEAVY_DAYS if user_id == heavy else rng.randint(30, 400)
            connection.execute(
                insert(ReviewLog), list(_reviews(rng, user_id, card_ids, count, days))
            )
            if count:
                connection.execute(insert(CardState), list(_states(rng, user_id, card_ids)))
    engine.dispose()
    upgrade(url)
    return heavy, fresh


def _reviews(rng: random.Random, user_id: int, card_ids: list[int], count: int, days: int) -> Any:
    for n in range(count):
        # Spread over the last `days` study days, the heavy user on every one of them.
        day = n * days // max(count, 1)
        at = NOW - timedelta(days=day, minutes=rng.randint(0, 400))
        yield {
            "user_id": user_id,
            "card_id": rng.choice(card_ids),
            "rating": rng.randint(1, 4),
            "reviewed_at": at,
            "duration_ms": rng.randint(1000, 20000),
            "state_before": rng.choice([None, 1, 2, 2, 2, 3]),
            "state_after": 2,
            "stability_after": 5.0,
            "difficulty_after": 5.0,
            "due_after": at + timedelta(days=rng.randint(1, 60)),
        }


def _states(rng: random.Random, user_id: int, card_ids: list[int]) -> Any:
    for card_id in card_ids:
        last = NOW - timedelta(days=rng.randint(1, 30))
        yield {
            "user_id": user_id,
            "card_id": card_id,
            "state": 2,
            "stability": 10.0,
            "difficulty": 5.0,
            "due": NOW + timedelta(days=rng.randint(-3, 60)),
            "last_review": last,
            "suspended": False,
            "version": 1,
            "updated_at": last,
        }


def timed(factory: sessionmaker[Session], user_id: int, call: Callable[..., Any]) -> float:
    """Seconds one call takes, in its own session (as a request would have)."""
    with factory() as session:
        user = session.get_one(User, user_id)
        start = time.perf_counter()
        call(session, user)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="50 users, 30,000 rows, 15 rounds")
    args = parser.parse_args()
    if args.quick:
        args.users, args.rows, args.rounds = 50, 30_000, 15
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'history.db'}"
        start = time.perf_counter()
        heavy, fresh = build(url, users=args.users, rows=args.rows)
        print(
            f"built {args.users} users, {args.rows:,} review-log rows "
            f"in {time.perf_counter() - start:.1f} s"
        )
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        calls: dict[str, Callable[[Session, User], Any]] = {
            "stats (30 days)": lambda s, u: user_stats(session=s, user=u, now=NOW),
            "stats page (365 days)": lambda s, u: user_stats(session=s, user=u, now=NOW, days=365),
            "overview": lambda s, u: user_overview(session=s, user=u, now=NOW),
            "study/next": lambda s, u: next_card(
                session=s, settings=settings, user=u, now=NOW, filters=StudyFilter()
            ),
        }
        print(f"{'call':<24}{'new user ms':>12}{'10k reviews ms':>16}{'ratio':>8}")
        for name, call in calls.items():
            for user_id in (heavy, fresh):  # warm up caches and compiled statements
                timed(factory, user_id, call)
            times: dict[int, list[float]] = {heavy: [], fresh: []}
            for _ in range(args.rounds):
                for user_id in (fresh, heavy):
                    times[user_id].append(timed(factory, user_id, call))
            new_ms = statistics.median(times[fresh]) * 1000
            heavy_ms = statistics.median(times[heavy]) * 1000
            print(f"{name:<24}{new_ms:>12.2f}{heavy_ms:>16.2f}{heavy_ms / new_ms:>8.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
