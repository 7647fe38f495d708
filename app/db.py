"""Database engine and session factory; SQLite connections get WAL, foreign keys and a timeout.

Reads run in ordinary (deferred) transactions and, with WAL, never wait for a writer. A write
starts with `begin_write`: on SQLite that is BEGIN IMMEDIATE, so the write lock is taken (and
waited for, up to the busy timeout) before anything is read, and a transaction never has to
upgrade a stale read snapshot to a write, which SQLite refuses at once with "database is
locked". `retry_write` runs a write transaction again until a time budget is spent, then
raises DatabaseBusy, which the app answers with 503 and Retry-After.

On an SQLite file, `retry_write`'s writers also queue at a WriterGate before BEGIN IMMEDIATE: a
lock per process, then an flock on a file beside the database, shared by every worker process.
SQLite's own busy handler polls with sleeps of up to 100 ms, so under 64 writers some waited
seconds while others came and went (p99 2 s). Behind the gate, the threads of a process queue
on a lock and one of them per process polls the file lock every millisecond, so writers take
turns in about the order they came.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = Settings.model_fields["sqlite_busy_timeout_ms"].default
RETRY_AFTER_SECONDS = 2
WRITE_OPTION = "gradcards_write"  # execution option that makes SQLite BEGIN IMMEDIATE
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_PG_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})

T = TypeVar("T")
P = TypeVar("P")


class DatabaseBusy(Exception):
    """The database stayed busy for the whole retry budget; the client should retry later."""

    def __init__(self, message: str = "The database is busy; try again shortly.") -> None:
        super().__init__(message)
        self.retry_after = RETRY_AFTER_SECONDS


class WriterGate:
    """One writer at a time across threads and worker processes, for one SQLite file."""

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self._thread_lock = threading.Lock()

    @contextmanager
    def turn(self, timeout_seconds: float) -> Iterator[None]:
        """Hold the gate for a block; DatabaseBusy when the turn does not come in time."""
        deadline = time.monotonic() + max(0.0, timeout_seconds)
        if not self._thread_lock.acquire(timeout=max(0.0, timeout_seconds)):
            raise DatabaseBusy()
        try:
            with self._file_lock(deadline):
                yield
        finally:
            self._thread_lock.release()

    @contextmanager
    def _file_lock(self, deadline: float) -> Iterator[None]:
        if fcntl is None:  # not POSIX: the thread lock and SQLite's busy handler remain
            yield
            return
        # Opened per turn, so a forked worker never shares a descriptor (and its lock) with
        # its parent; closing the file releases the lock even if unlock is never reached.
        with open(self.lock_path, "a+b") as handle:
            # Only one thread per process gets here (the thread lock), so polling every
            # millisecond costs little, and unlike a blocking flock it can give up in time.
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise DatabaseBusy() from None
                    time.sleep(0.001)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


# The gate of each SQLite engine, looked up by retry_write from the session's bind.
_GATES: weakref.WeakKeyDictionary[Engine, WriterGate] = weakref.WeakKeyDictionary()


def writer_gate(engine: Engine) -> WriterGate | None:
    """The engine's WriterGate (SQLite files only), or None."""
    return _GATES.get(engine)


def make_engine(
    url: str, *, settings: Settings | None = None, sqlite_write_lock: bool = False, **kwargs: Any
) -> Engine:
    """Create an engine for `url`; SQLite gets its parent directory and connection pragmas.

    `settings` gives the busy timeout and the pool (the Settings defaults when None).
    sqlite_write_lock=True starts every SQLite transaction with the write lock (BEGIN
    IMMEDIATE), so two processes migrating one file take turns instead of colliding.
    """
    config = settings or Settings.model_construct()
    parsed = make_url(url)
    memory = parsed.database in (None, "", ":memory:")
    if "poolclass" not in kwargs and not (parsed.get_backend_name() == "sqlite" and memory):
        kwargs.setdefault("pool_size", config.db_pool_size)
        kwargs.setdefault("max_overflow", config.db_pool_overflow)
        kwargs.setdefault("pool_timeout", config.db_pool_timeout_seconds)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if not memory:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    busy_ms = config.sqlite_busy_timeout_ms
    connect_args = {"timeout": busy_ms / 1000, **kwargs.pop("connect_args", {})}
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; we issue
        # BEGIN ourselves (see begin below), as SQLAlchemy's docs recommend.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, and much faster
        cursor.close()

    def begin(connection: Connection) -> None:
        write = sqlite_write_lock or connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    event.listen(engine, "connect", pragmas)
    event.listen(engine, "begin", begin)
    if not memory:
        _GATES[engine] = WriterGate(Path(f"{parsed.database}-writer.lock"))
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a write (SQLite: BEGIN IMMEDIATE, lock first).

    Call it with no transaction open (after commit or rollback).
    """
    options: Any = {WRITE_OPTION: True}  # our own option: not in SQLAlchemy's TypedDict
    session.connection(execution_options=options)


def is_busy(error: BaseException) -> bool:
    """True when `error` means another transaction holds a lock we need (worth retrying)."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _PG_BUSY_STATES
    message = str(error.orig).lower()
    return isinstance(error, OperationalError) and ("locked" in message or "busy" in message)


def retry_write(
    session: Session,
    work: Callable[[], T],
    *,
    budget_seconds: float,
    retry_on: tuple[type[BaseException], ...] = (),
    max_attempts: int = 50,
) -> T:
    """Run `work` in a write transaction and commit, retrying while the database is busy.

    Lock errors are retried until `budget_seconds` is spent, then DatabaseBusy; errors in
    `retry_on` (a concurrent change) at most `max_attempts` times, then the last one is raised.
    """
    retry = _Retry(session, budget_seconds, retry_on, max_attempts)
    while True:
        session.rollback()
        try:
            return retry.write(work)
        except Exception as error:
            retry.after(error)


@dataclass(frozen=True)
class NoWrite(Generic[T]):
    """What a plan returns when nothing needs writing (e.g. a request already recorded)."""

    result: T


def plan_then_write(
    session: Session,
    plan: Callable[[], P | NoWrite[T]],
    write: Callable[[P], T],
    *,
    budget_seconds: float,
    retry_on: tuple[type[BaseException], ...] = (),
    max_attempts: int = 50,
) -> T:
    """Read and decide in the current read transaction, then write what was decided.

    `plan` runs outside the writer gate, so writers queue only for their writes: on SQLite
    every write is serialised, and the gate's turn lasts as long as the work inside it (which
    under load, with other threads sharing the GIL, is several times its CPU time). `write` must
    check that what `plan` read still holds (a version in the UPDATE's WHERE, a unique key)
    and raise one of `retry_on` otherwise; the whole plan then runs again. Retries as
    retry_write's; the read transaction is committed, not rolled back, so loaded objects stay.
    """
    retry = _Retry(session, budget_seconds, retry_on, max_attempts)
    while True:
        try:
            planned = plan()
            session.commit()  # a read: nothing to write, but BEGIN IMMEDIATE needs it ended
            if isinstance(planned, NoWrite):
                return planned.result
            return retry.write(partial(write, planned))
        except Exception as error:
            retry.after(error)


class _Retry:
    """The retry policy retry_write and plan_then_write share: one write turn, and what an
    error means (busy: retry within the budget; a conflict: retry a bounded number of times)."""

    def __init__(
        self,
        session: Session,
        budget_seconds: float,
        retry_on: tuple[type[BaseException], ...],
        max_attempts: int,
    ) -> None:
        self.session, self.retry_on, self.max_attempts = session, retry_on, max_attempts
        self.deadline = time.monotonic() + budget_seconds
        bind = session.get_bind()
        self.gate = writer_gate(bind) if isinstance(bind, Engine) else None
        self.conflicts = self.attempts = 0

    def write(self, work: Callable[[], T]) -> T:
        """One write transaction, behind the gate on an SQLite file, committed."""
        self.attempts += 1
        with self.gate.turn(self.deadline - time.monotonic()) if self.gate else nullcontext():
            begin_write(self.session)
            result = work()
            self.session.commit()
        return result

    def after(self, error: Exception) -> None:
        """Roll back, then return to retry (after a little jitter) or raise."""
        self.session.rollback()
        if isinstance(error, DatabaseBusy):
            raise error
        left = self.deadline - time.monotonic()
        if is_busy(error):
            if left <= 0:
                raise DatabaseBusy() from error
        elif isinstance(error, self.retry_on):
            self.conflicts += 1
            if self.conflicts >= self.max_attempts:
                raise error
        else:
            raise error
        log.debug("write retry after %s", type(error).__name__)
        # A little jitter so two writers that collided do not collide again in step.
        attempts = max(1, self.attempts)
        time.sleep(max(0.0, min(left, random.uniform(0, 0.005 * min(attempts, 20)))))
