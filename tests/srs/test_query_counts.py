"""A study step is a few SQL statements, the same for a big deck and a long history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.models import Card, User
from app.srs.reviews import record_review
from tests.conftest import START, Account, FakeClock

# BEGIN, the token and its user, today's counts, the most urgent due card, the first new card,
# the card with its deck, topics and choices.
STUDY_NEXT = 6
# BEGIN, the token and its user, the card; BEGIN IMMEDIATE, the state row, the idempotency key,
# the state write, the log insert, the two aggregate upserts.
POST_REVIEW = 10


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block, each transaction's start as "BEGIN".

    SQLite's BEGIN is a statement we issue (app/db.py), PostgreSQL's is the driver's own, so
    starts are counted from SQLAlchemy's begin event on both and BEGIN statements are skipped.
    """
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement)

    def began(_conn: Any) -> None:
        seen.append("BEGIN")

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "begin", began)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "begin", began)


def step(client: TestClient, who: Account, key: str) -> tuple[list[str], list[str]]:
    """One study step; the statements of study/next and of the review it leads to."""
    engine = client.app.state.sessionmaker.kw["bind"]  # type: ignore[attr-defined]
    with statements(engine) as shown:
        nxt = client.get("/api/v1/study/next", headers=who.headers)
    assert nxt.status_code == 200, nxt.text
    body = {"card": nxt.json()["card"]["slug"], "rating": 3, "idempotency_key": key}
    with statements(engine) as reviewed:
        response = client.post("/api/v1/reviews", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return shown, reviewed


def grow_deck(study_db: sessionmaker[Session], size: int) -> None:
    """Copies of the bundled cards until the catalog holds `size` active cards."""
    with study_db() as db:
        cards = list(db.scalars(select(Card).order_by(Card.id)))
        for n in range(size - len(cards)):
            model = cards[n % len(cards)]
            db.add(
                Card(
                    deck_id=model.deck_id,
                    slug=f"copy-{n}-{model.slug}"[:100],
                    number=100 + n,
                    difficulty=model.difficulty,
                    question=model.question,
                    answer=model.answer,
                    demo_name=model.demo_name,
                    demo_params=model.demo_params,
                    key_points=model.key_points,
                )
            )
        db.commit()


def add_history(study_db: sessionmaker[Session], settings: Settings, who: Account, n: int) -> None:
    """`n` reviews spread over the days before START, through the service."""
    with study_db() as db:
        user = db.get_one(User, who.user_id)
        card_ids = list(db.scalars(select(Card.id).order_by(Card.id)))
        for i in range(n):
            card = db.get_one(Card, card_ids[i % len(card_ids)])
            at = START - timedelta(days=3) + timedelta(minutes=5 * i)
            record_review(
                session=db, settings=settings, user=user, card=card, rating=1 + i % 4, now=at
            )
            user = db.get_one(User, who.user_id)


@pytest.mark.parametrize("deck_size", [15, 150])
def test_a_study_step_is_a_fixed_number_of_statements(
    study_client: TestClient,
    study_db: sessionmaker[Session],
    study_settings: Settings,
    make_account: Callable[[str], Account],
    clock: FakeClock,
    deck_size: int,
) -> None:
    grow_deck(study_db, deck_size)
    new_user, veteran = make_account("ada"), make_account("bob")
    add_history(study_db, study_settings, veteran, 500)
    for who in (new_user, veteran):
        step(study_client, who, "warm-up")  # the token's first use records its last-used time
        for i in range(3):
            clock.advance(seconds=20)
            shown, reviewed = step(study_client, who, f"step-{i}")
            assert len(shown) == STUDY_NEXT, shown
            assert len(reviewed) == POST_REVIEW, reviewed
            assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in shown)


def test_the_token_last_used_time_is_written_once_a_minute_outside_the_read(
    study_client: TestClient, make_account: Callable[[str], Account], clock: FakeClock
) -> None:
    ada = make_account("ada")
    step(study_client, ada, "first")
    clock.advance(minutes=2)
    shown, _ = step(study_client, ada, "second")
    # The read transaction ends before the UPDATE, which begins a transaction of its own.
    update = next(i for i, s in enumerate(shown) if s.startswith("UPDATE api_tokens"))
    assert shown[update - 1] == "BEGIN"
    assert len(shown) == STUDY_NEXT + 3  # BEGIN + UPDATE, and the route's own BEGIN
