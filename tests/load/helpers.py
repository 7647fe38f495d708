"""The pieces of the load proofs: a killable server, accounts, the study loop and the audit.

Every user loops `GET /api/v1/study/next` then `POST /api/v1/reviews` with a fresh
idempotency key, and remembers what the server acknowledged (2xx). A request whose outcome is
unknown (the connection failed or timed out, e.g. because the server was killed) is resent
with the same key afterwards, so the audit can demand stored == acknowledged exactly.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx2
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from app.auth.tokens import create_token
from app.auth.users import create_user
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.models import ReviewLog, User, utcnow
from tests.servers import REPO, free_port, gradcards_command

SECRET = "load-test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery"
REQUEST_TIMEOUT = 30.0  # the issue saw p99 of 3-5 s; a timeout is an unknown outcome, resent
RECONCILE_ATTEMPTS = 8


def env_number(name: str, default: float) -> float:
    """A positive number from the environment (CI raises the load's length)."""
    value = float(os.environ.get(name, default))
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


def serve_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of `gradcards serve` for a load run: its own data dir and database."""
    return {
        "GRADCARDS_DATABASE_URL": database_url,
        "GRADCARDS_DATA_DIR": str(data_dir),
        "GRADCARDS_CONTENT_DIR": str(REPO / "content"),
        "GRADCARDS_SECRET_KEY": SECRET,
        "GRADCARDS_LOG_LEVEL": "warning",
        # Accounts are made in this process; the server never hashes a password here.
        "GRADCARDS_PASSWORD_HASH_TIME_COST": "1",
        "GRADCARDS_PASSWORD_HASH_MEMORY_KIB": "8",
    }


class Server:
    """`gradcards serve --workers N` in a process group of its own, so kill -9 takes it all."""

    def __init__(self, env: Mapping[str, str], log: Path, workers: int = 2) -> None:
        self.env = {**os.environ, **env}
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> str:
        """Start on a free port; return the URL once /healthz answers 200."""
        self.port = free_port()
        command = [
            *gradcards_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_healthy(timeout)
        return self.url

    def _wait_healthy(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.process.returncode}\n{self.logs()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # polling a starting process: there is no event to wait on
        self.stop()
        raise AssertionError(f"{self.url} not healthy within {timeout} s\n{self.logs()}")

    def kill9(self) -> None:
        """SIGKILL the whole process group (supervisor and workers); wait until the port is shut."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        deadline = time.monotonic() + 10
        while port_open(self.port):  # orphaned workers die with the group; bounded wait anyway
            if time.monotonic() > deadline:
                raise AssertionError(f"port {self.port} still answers after kill -9")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM the group (graceful), SIGKILL after 15 s."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            self.process.wait()
        self.process = None

    def logs(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class LoadUser:
    name: str
    user_id: int
    token: str


def create_accounts(
    database_url: str, data_dir: Path, count: int, prefix: str = "load"
) -> list[LoadUser]:
    """`count` users with an API token each, made through the app's own account functions."""
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=SECRET,
        password_hash_time_cost=1,
        password_hash_memory_kib=8,
    )
    engine = make_engine(database_url)
    users = []
    try:
        with make_sessionmaker(engine)() as session:
            for number in range(count):
                user = create_user(
                    session=session,
                    settings=settings,
                    name=f"{prefix}{number:03d}",
                    password=PASSWORD,
                    by_admin=True,
                )
                _, token = create_token(session=session, user=user, name="load", now=utcnow())
                users.append(LoadUser(user.name, user.id, token))
    finally:
        engine.dispose()
    return users


@dataclass
class UserLog:
    """What one user sent and what the server said about each review."""

    user: LoadUser
    acknowledged: set[str] = field(default_factory=set)  # 2xx: the server promised it is stored
    refused: dict[str, int] = field(default_factory=dict)  # key -> a definitive non-2xx status
    pending: dict[str, str] = field(default_factory=dict)  # key -> slug: outcome unknown
    sent: int = 0


@dataclass
class Tally:
    """Every response of a run, by endpoint and status, with latencies in seconds."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    missing_retry_after: int = 0
    errors_before_kill: int | None = None  # transport errors before the kill (resets under load)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: int) -> int:
        return sum(n for (_, code), n in self.statuses.items() if code == status)

    def total(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> str:
        ordered = sorted(self.latencies)

        def pick(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0

        statuses = ", ".join(f"{ep} {code}: {n}" for (ep, code), n in sorted(self.statuses.items()))
        errors = ", ".join(f"{k}: {n}" for k, n in sorted(self.transport_errors.items())) or "0"
        rate = self.total() / self.seconds if self.seconds else 0
        return (
            f"{self.total()} responses in {self.seconds:.1f} s ({rate:.0f}/s), "
            f"p50 {pick(0.5):.0f} ms, p99 {pick(0.99):.0f} ms; {statuses}; "
            f"transport errors {errors}"
            + (
                ""
                if self.errors_before_kill is None
                else f" ({self.errors_before_kill} before kill)"
            )
            + f"; 503 without Retry-After: {self.missing_retry_after}"
        )


async def _call(
    client: httpx2.AsyncClient, tally: Tally, label: str, method: str, path: str, **kw: object
) -> httpx2.Response | None:
    """One request, tallied; None when it never got an answer."""
    started = time.monotonic()
    try:
        response = await client.request(method, path, **kw)  # type: ignore[arg-type]
    except httpx2.TransportError as error:
        tally.transport_errors[f"{label} {type(error).__name__}"] += 1
        return None
    tally.latencies.append(time.monotonic() - started)
    tally.statuses[(label, response.status_code)] += 1
    if response.status_code == 503 and "retry-after" not in response.headers:
        tally.missing_retry_after += 1
    return response


async def _backoff(response: httpx2.Response | None) -> None:
    """Wait as the server asked (bounded), or a moment after a failed connection."""
    delay = 0.05
    if response is not None and response.status_code == 503:
        try:
            delay = min(2.0, float(response.headers.get("retry-after", "0.2")))
        except ValueError:
            delay = 0.2
    await asyncio.sleep(delay)


async def _study(
    url: str, log: UserLog, tally: Tally, slugs: list[str], stop: asyncio.Event
) -> None:
    headers = {"Authorization": f"Bearer {log.user.token}"}
    limits = httpx2.Limits(max_connections=1)
    rng = random.Random(log.user.user_id)
    async with httpx2.AsyncClient(
        base_url=url, headers=headers, timeout=REQUEST_TIMEOUT, limits=limits
    ) as client:
        while not stop.is_set():
            shown = await _call(client, tally, "next", "GET", "/api/v1/study/next")
            if shown is None or shown.status_code != 200:
                await _backoff(shown)
                continue
            card = shown.json().get("card")
            # "again" keeps cards in learning; with nothing shown, any card may be reviewed.
            slug = card["slug"] if card else rng.choice(slugs)
            key = f"{log.user.name}-{log.sent:06d}-{rng.getrandbits(32):08x}"
            log.sent += 1
            body = {"card": slug, "rating": 1, "duration_ms": 1500, "idempotency_key": key}
            answer = await _call(client, tally, "review", "POST", "/api/v1/reviews", json=body)
            if answer is None:
                log.pending[key] = slug
                await _backoff(None)
            elif answer.is_success:
                log.acknowledged.add(key)
            else:
                log.refused[key] = answer.status_code
                await _backoff(answer)


async def run_load(
    url: str,
    users: list[LoadUser],
    slugs: list[str],
    seconds: float,
    *,
    kill_after: float | None = None,
    kill: Callable[[], None] | None = None,
) -> tuple[list[UserLog], Tally]:
    """All users study for `seconds`; `kill()` (if given) runs `kill_after` s into the load."""
    logs = [UserLog(user) for user in users]
    tally = Tally()
    stop = asyncio.Event()
    started = time.monotonic()
    tasks = [asyncio.create_task(_study(url, log, tally, slugs, stop)) for log in logs]
    if kill_after is not None and kill is not None:
        await asyncio.sleep(kill_after)
        tally.errors_before_kill = sum(tally.transport_errors.values())
        await asyncio.to_thread(kill)
        await asyncio.sleep(max(0.0, seconds - kill_after))
    else:
        await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    tally.seconds = time.monotonic() - started
    return logs, tally


async def reconcile(url: str, logs: list[UserLog]) -> int:
    """Resend every review whose outcome is unknown, with its key; return how many stay unknown."""

    async def one(log: UserLog) -> None:
        headers = {"Authorization": f"Bearer {log.user.token}"}
        async with httpx2.AsyncClient(
            base_url=url, headers=headers, timeout=REQUEST_TIMEOUT
        ) as client:
            for key, slug in list(log.pending.items()):
                body = {"card": slug, "rating": 1, "duration_ms": 1500, "idempotency_key": key}
                for _ in range(RECONCILE_ATTEMPTS):
                    try:
                        answer = await client.post("/api/v1/reviews", json=body)
                    except httpx2.TransportError:
                        await asyncio.sleep(0.25)
                        continue
                    if answer.status_code >= 500:
                        await asyncio.sleep(0.25)
                        continue
                    del log.pending[key]
                    if answer.is_success:
                        log.acknowledged.add(key)
                    else:
                        log.refused[key] = answer.status_code
                    break

    await asyncio.gather(*(one(log) for log in logs))
    return sum(len(log.pending) for log in logs)


def card_slugs(url: str) -> list[str]:
    with httpx2.Client(base_url=url, timeout=REQUEST_TIMEOUT) as client:
        items = client.get("/api/v1/cards", params={"limit": 100}).json()["items"]
    return [item["slug"] for item in items]


@dataclass
class Audit:
    """The database's reviews compared with what the server acknowledged."""

    stored: int = 0
    acknowledged: int = 0
    missing: dict[str, list[str]] = field(default_factory=dict)  # acknowledged, not stored
    unacknowledged: dict[str, list[str]] = field(default_factory=dict)  # stored, not acknowledged
    duplicate_keys: list[tuple[int, str | None, int]] = field(default_factory=list)
    keyless: int = 0
    users_matching: int = 0
    users: int = 0

    def problems(self) -> list[str]:
        found = []
        if self.missing:
            found.append(f"acknowledged but not stored: {_sample(self.missing)}")
        if self.unacknowledged:
            found.append(f"stored but never acknowledged: {_sample(self.unacknowledged)}")
        if self.duplicate_keys:
            found.append(f"duplicate (user, idempotency key): {self.duplicate_keys[:5]}")
        if self.keyless:
            found.append(f"{self.keyless} stored reviews without an idempotency key")
        return found

    def summary(self) -> str:
        return (
            f"stored {self.stored} == acknowledged {self.acknowledged}: "
            f"{self.users_matching}/{self.users} users match"
        )


def _sample(by_user: dict[str, list[str]]) -> str:
    total = sum(len(keys) for keys in by_user.values())
    first = next(iter(by_user.items()))
    return f"{total} reviews of {len(by_user)} users, e.g. {first[0]}: {first[1][:3]}"


def audit(database_url: str, logs: list[UserLog]) -> Audit:
    """Read every load user's reviews back from the database and compare them, per user."""
    engine = create_engine(database_url)
    by_id = {log.user.user_id: log for log in logs}
    stored: dict[int, list[str | None]] = {user_id: [] for user_id in by_id}
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(ReviewLog.user_id, ReviewLog.idempotency_key)
                .join(User, User.id == ReviewLog.user_id)
                .where(ReviewLog.user_id.in_(list(by_id)))
            )
            for user_id, key in rows:
                stored[user_id].append(key)
    finally:
        engine.dispose()
    result = Audit(users=len(logs))
    for user_id, keys in stored.items():
        log = by_id[user_id]
        result.stored += len(keys)
        result.acknowledged += len(log.acknowledged)
        result.keyless += sum(key is None for key in keys)
        for key, n in Counter(keys).items():
            if n > 1:
                result.duplicate_keys.append((user_id, key, n))
        present = {key for key in keys if key is not None}
        if missing := sorted(log.acknowledged - present):
            result.missing[log.user.name] = missing
        if extra := sorted(present - log.acknowledged):
            result.unacknowledged[log.user.name] = extra
        if not missing and not extra and len(keys) == len(log.acknowledged):
            result.users_matching += 1
    return result


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def integrity_check(database_url: str) -> str:
    """`PRAGMA integrity_check` of an SQLite database ('ok' when sound); '' on PostgreSQL."""
    path = sqlite_path(database_url)
    if path is None:
        return ""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return "; ".join(str(row[0]) for row in rows)


T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a thread of its own: the browser tests' Playwright keeps an event loop
    running on the main thread for the whole session, where asyncio.run would refuse."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
