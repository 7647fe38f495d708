"""Many people studying at once on one SQLite file: no 500, and every acknowledged review kept."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.main import create_app
from app.models import ReviewLog
from tests.conftest import START, Account

USERS = 12
STEPS = 12


class FastClock:
    """Time that runs 120 times too fast, so tokens' last-used times fall due while we run."""

    def __init__(self) -> None:
        self.began = time.monotonic()

    def __call__(self) -> datetime:
        return START + timedelta(seconds=(time.monotonic() - self.began) * 120)


# Two apps on one SQLite file are the contention this test is about (tests/load runs the
# same loop against real servers on both backends).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_many_users_studying_at_once_get_no_500_and_lose_no_review(
    study_settings: Settings,
    study_db: sessionmaker[Session],
    make_account: Callable[[str], Account],
) -> None:
    accounts = [make_account(f"user{n}") for n in range(USERS)]
    # Two apps on one file stand for two worker processes, each with its own pool.
    apps = [create_app(study_settings, clock=FastClock()) for _ in range(2)]
    statuses: Counter[int] = Counter()
    acknowledged: dict[str, set[str]] = {a.name: set() for a in accounts}
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(USERS)

    def study(number: int) -> None:
        who = accounts[number]
        try:
            with TestClient(apps[number % 2]) as client:
                barrier.wait()
                for i in range(STEPS):
                    shown = client.get("/api/v1/study/next", headers=who.headers)
                    with lock:
                        statuses[shown.status_code] += 1
                    if shown.status_code != 200 or shown.json()["card"] is None:
                        continue
                    key = f"{who.name}-{i}"
                    body = {
                        "card": shown.json()["card"]["slug"],
                        "rating": 3,
                        "idempotency_key": key,
                    }
                    posted = client.post("/api/v1/reviews", json=body, headers=who.headers)
                    with lock:
                        statuses[posted.status_code] += 1
                    if posted.status_code in (200, 201):
                        acknowledged[who.name].add(key)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=study, args=(n,)) for n in range(USERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for app in apps:  # each app's pool, as a worker's would be at shutdown
        app.state.sessionmaker.kw["bind"].dispose()
    assert not errors, errors
    assert all(status < 500 or status == 503 for status in statuses), statuses
    assert statuses[500] == 0, statuses
    with study_db() as db:
        stored = set(db.scalars(select(ReviewLog.idempotency_key)))
    for who in accounts:
        assert acknowledged[who.name], f"{who.name} recorded nothing: {statuses}"
        assert acknowledged[who.name] <= stored


@contextmanager
def held_lock(settings: Settings) -> Iterator[None]:
    """Another connection holding SQLite's write lock inside the block."""
    other = sqlite3.connect(str(make_url(settings.database_url).database))
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


# SQLite's file lock is what this test holds: it runs on that backend only (not a skip).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_write_that_cannot_get_the_lock_in_time_answers_503_with_retry_after(
    study_settings: Settings,
    study_db: sessionmaker[Session],
    make_account: Callable[[str], Account],
) -> None:
    ada = make_account("ada")
    settings = study_settings.model_copy(
        update={"sqlite_busy_timeout_ms": 50, "write_retry_seconds": 0.3}
    )
    with TestClient(create_app(settings)) as client:
        shown = client.get("/api/v1/study/next", headers=ada.headers).json()
        body = {"card": shown["card"]["slug"], "rating": 3, "idempotency_key": "k"}
        with held_lock(settings):
            # Reads still work while another connection holds the write lock (WAL).
            assert client.get("/api/v1/study/next", headers=ada.headers).status_code == 200
            busy = client.post("/api/v1/reviews", json=body, headers=ada.headers)
        assert busy.status_code == 503, busy.text
        assert int(busy.headers["Retry-After"]) >= 1
        assert "busy" in busy.json()["detail"]
        with study_db() as db:
            assert db.scalar(select(ReviewLog.id)) is None  # nothing half-written
        # Once the lock is gone, the same request succeeds.
        assert client.post("/api/v1/reviews", json=body, headers=ada.headers).status_code == 201


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_writers_queue_at_the_gate_and_one_held_past_the_budget_answers_503(
    study_settings: Settings, make_account: Callable[[str], Account]
) -> None:
    """The writer gate (app/db.py): another process's turn is an flock on the file beside the
    database; a review that cannot get its turn within the retry budget answers 503 and writes
    nothing, and gets through once the turn is free."""
    import fcntl

    ada = make_account("ada")
    settings = study_settings.model_copy(update={"write_retry_seconds": 0.3})
    lock_path = f"{make_url(settings.database_url).database}-writer.lock"
    with TestClient(create_app(settings)) as client:
        shown = client.get("/api/v1/study/next", headers=ada.headers).json()
        body = {"card": shown["card"]["slug"], "rating": 3, "idempotency_key": "gate"}
        with open(lock_path, "a+b") as other_process:
            fcntl.flock(other_process, fcntl.LOCK_EX)
            started = time.monotonic()
            busy = client.post("/api/v1/reviews", json=body, headers=ada.headers)
            waited = time.monotonic() - started
            fcntl.flock(other_process, fcntl.LOCK_UN)
        assert busy.status_code == 503, busy.text
        assert 0.3 <= waited < 5, waited  # the budget, not SQLite's busy timeout or forever
        done = client.post("/api/v1/reviews", json=body, headers=ada.headers)
        assert done.status_code == 201, done.text
        assert client.get("/api/v1/reviews", headers=ada.headers).json()[0]["card"] == body["card"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_study_steps_run_at_most_study_threads_at_once(
    study_settings: Settings,
    make_account: Callable[[str], Account],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rest wait in the event loop, not in threads that share the interpreter lock."""
    import app.api.study as study_api

    running, most = 0, 0
    lock = threading.Lock()
    real_next_card = study_api.next_card

    def slow_next_card(**kwargs: object) -> object:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)  # long enough that six requests overlap if nothing holds them back
        with lock:
            running -= 1
        return real_next_card(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(study_api, "next_card", slow_next_card)
    ada = make_account("ada")
    settings = study_settings.model_copy(update={"study_threads": 2})
    statuses: list[int] = []
    with TestClient(create_app(settings)) as client:

        def ask() -> None:
            statuses.append(client.get("/api/v1/study/next", headers=ada.headers).status_code)

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert statuses == [200] * 6
    assert most == 2, f"{most} study steps ran at once with study_threads=2"
