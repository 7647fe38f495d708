"""Query plans: the due query, stats and the overview reach a user's rows through an index, never
by scanning a table that grows with history (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN
with sequential scans disabled, so a plan that can use an index does)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import Card, User
from app.srs.overview import user_overview
from app.srs.queue import StudyFilter, next_card, study_queue
from app.srs.reviews import record_review
from app.srs.stats import user_stats
from tests.conftest import START

# Tables whose size grows with users' history (a table's alias, e.g. card_states_1, counts too).
HISTORY = ("card_states", "review_logs", "review_days", "review_totals")


@contextmanager
def captured(db: Session) -> Iterator[list[tuple[str, Any]]]:
    """(statement, parameters) of each SELECT the session's engine runs inside the block."""
    seen: list[tuple[str, Any]] = []
    engine = db.get_bind()

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def plan(db: Session, statement: str, parameters: Any) -> list[str]:
    """The plan's lines for `statement`, on the session's backend."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        return [row[0] for row in rows]
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return [row[-1] for row in rows]


def scans(lines: list[str]) -> list[str]:
    """The history tables the plan reads whole."""
    pattern = re.compile(r"^\s*(?:->\s*)?(?:SCAN|Seq Scan on) (\w+)")
    found = []
    for line in lines:
        match = pattern.search(line)
        if match and match.group(1).startswith(HISTORY):
            found.append(line)
    return found


def studied(db: Session, settings: Settings, user: User) -> None:
    """A few reviews, so the user has state rows, log rows and aggregates."""
    for n, card in enumerate(db.scalars(select(Card).order_by(Card.id).limit(4))):
        record_review(
            session=db,
            settings=settings,
            user=user,
            card=card,
            rating=1 + n % 4,
            now=START - timedelta(days=n),
        )


def plans_of(db: Session, call: Callable[[], object]) -> list[tuple[str, list[str]]]:
    with captured(db) as seen:
        call()
    return [(statement, plan(db, statement, parameters)) for statement, parameters in seen]


def test_the_due_query_searches_the_users_states_by_index(
    db: Session, ada: User, study_settings: Settings
) -> None:
    studied(db, study_settings, ada)
    now = START + timedelta(days=2)
    everything = StudyFilter()
    plans = plans_of(db, lambda: study_queue(session=db, user=ada, now=now, filters=everything))
    plans += plans_of(
        db,
        lambda: next_card(
            session=db, settings=study_settings, user=ada, now=now, filters=everything
        ),
    )
    due = [
        (statement, lines)
        for statement, lines in plans
        if re.search(r"card_states\.due\s*<", statement) and "LIMIT" not in statement.upper()
    ]
    assert due, "no due query seen: " + "\n".join(s for s, _ in plans)
    for statement, lines in due:
        text = "\n".join(lines)
        assert not scans(lines), f"{statement}\n{text}"
        if db.get_bind().dialect.name == "sqlite":
            assert re.search(r"SEARCH card_states USING (COVERING )?INDEX", text), text
        else:
            assert re.search(r"Index (Only )?Scan .*on card_states|Bitmap Index Scan", text), text
    for statement, lines in plans:
        assert not scans(lines), f"{statement}\n" + "\n".join(lines)


def test_stats_and_the_overview_never_scan_a_history_table(
    db: Session, ada: User, study_settings: Settings
) -> None:
    studied(db, study_settings, ada)
    for call in (
        lambda: user_stats(session=db, user=ada, now=START),
        lambda: user_stats(session=db, user=ada, now=START, days=365),
        lambda: user_overview(session=db, user=ada, now=START),
    ):
        for statement, lines in plans_of(db, call):
            assert not scans(lines), f"{statement}\n" + "\n".join(lines)
