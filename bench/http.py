"""HTTP benchmark (issue 11): the app's endpoints against a bare FastAPI app, same uvicorn setup.

Run with `python -m bench.http` from the repository (or `make bench-http`); `--quick` for 3 s per
endpoint instead of 10. Not `python bench/http.py`: run as a script, this file would shadow the
standard library's `http` package.

Both servers run like `gradcards serve --workers N`: `uvicorn.run(..., workers=N)` with uvicorn's
default loop and HTTP implementation ("auto": uvloop and httptools when installed), on free
127.0.0.1 ports. The app gets a temporary data dir and SQLite (or GRADCARDS_DATABASE_URL /
--database-url, e.g. PostgreSQL). GET endpoints are driven by wrk (or hey) with 32 connections;
the study loop (GET /api/v1/study/next, then POST /api/v1/reviews of the card shown) by wrk
running bench/study_loop.lua, 32 users each with its own token, thread and connection, and again
by an asyncio client with 32 other users (the Python client costs the two cores more than the
server does: its row shows how far a Python client can drive the loop). Last, a user with 10,000
seeded reviews is timed against a new user on study/next and /api/v1/stats. Targets are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-that-is-long-enough-0123456789abcdef"


def bare_app() -> Any:
    """The baseline: FastAPI with one JSON endpoint and nothing else."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/json")
    def json_endpoint() -> dict[str, str]:
        return {"status": "ok"}

    return app


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """A server process in its own process group, stopped (the whole group) on exit."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self, path: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"server exited ({self.process.returncode}):\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # polling a starting process
        self.stop()
        sys.exit(f"{self.url}{path} not healthy within {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def serve_bare(port: int, workers: int, log_level: str) -> None:
    """What `gradcards serve` does, with the bare app (an import string, as for workers > 1)."""
    import uvicorn

    if workers == 1:
        uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level=log_level)
        return
    uvicorn.run(
        "bench.http:bare_app",
        factory=True,
        workers=workers,
        host="127.0.0.1",
        port=port,
        log_level=log_level,
    )


def gradcards_command() -> list[str]:
    installed = shutil.which("gradcards", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-c", "from app.cli import main; main()"]


# --- measurements ---------------------------------------------------------------------------


@dataclass
class Row:
    endpoint: str
    tool: str
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int = 0
    target: str = ""
    target_ratio: float | None = None
    extra: str = ""


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, connections: int, seconds: float) -> tuple[float, float, float, int, int]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return _parse_wrk(out)


def _parse_wrk(out: str) -> tuple[float, float, float, int, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _duration_ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _duration_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return rps, p50, p99, int(bad.group(1)) if bad else 0, errors


def run_wrk_study(
    url: str, tokens: list[str], slugs: list[str], seconds: float, scratch: Path
) -> tuple[float, float, float, int, int]:
    """The study loop driven by wrk (bench/study_loop.lua): one thread and connection per user.

    wrk is C: on two cores shared by client and server, the Python client's own cost caps what
    the loop can show (its ceiling row), so the loop's headline row is measured with wrk, the tool
    that measures bare.
    """
    (scratch / "tokens.txt").write_text("\n".join(tokens) + "\n")
    (scratch / "slugs.txt").write_text("\n".join(slugs) + "\n")
    env = {
        **os.environ,
        "GRADCARDS_BENCH_TOKENS": str(scratch / "tokens.txt"),
        "GRADCARDS_BENCH_SLUGS": str(scratch / "slugs.txt"),
    }
    script = Path(__file__).with_name("study_loop.lua")
    out = subprocess.run(
        [
            *("wrk", f"-t{len(tokens)}", f"-c{len(tokens)}", f"-d{seconds:g}s", "--latency"),
            *("--timeout", "10s", "-s", str(script), url),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    counts = re.search(r"study-loop gets=(\d+) posts=(\d+) bad=(\d+)", out)
    gets, posts = (int(counts.group(1)), int(counts.group(2))) if counts else (0, 0)
    if not gets or abs(gets - posts) > len(tokens):  # each user alternates, one step apart at most
        raise RuntimeError(f"the wrk study loop did not alternate GET and POST:\n{out}")
    print(f"  study loop, wrk: {gets} GET and {posts} POST requests")
    return _parse_wrk(out)


def run_hey(url: str, connections: int, seconds: float) -> tuple[float, float, float, int, int]:
    out = subprocess.run(
        ["hey", "-z", f"{seconds:g}s", "-c", str(connections), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = float(re.search(r"50% in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    p99 = float(re.search(r"99% in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    codes = [(int(c), int(n)) for c, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)]
    _, _, error_part = out.partition("Error distribution:")
    errors = sum(int(n) for n in re.findall(r"\[(\d+)\]", error_part))
    return rps, p50, p99, sum(n for c, n in codes if not 200 <= c < 300), errors


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)
    non_2xx: int = 0
    errors: int = 0
    by_method: dict[str, list[float]] = field(default_factory=dict)

    def split(self) -> str:
        """p50 / p99 per HTTP method (the study loop's reads and writes apart)."""
        parts = []
        for method, values in sorted(self.by_method.items()):
            ordered = sorted(values)
            p50 = ordered[len(ordered) // 2] * 1000
            p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
            parts.append(f"{method} p50 {p50:.1f} ms p99 {p99:.1f} ms ({len(values)})")
        return "; ".join(parts)

    def row(self, endpoint: str, tool: str, seconds: float) -> Row:
        ordered = sorted(self.latencies) or [float("nan")]

        def pick(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

        count = len(self.latencies) + self.errors
        return Row(
            endpoint, tool, count / seconds, pick(0.5), pick(0.99), self.non_2xx, self.errors
        )


async def _timed(client: Any, samples: Samples, method: str, path: str, **kw: Any) -> Any:
    import httpx2

    started = time.perf_counter()
    try:
        response = await client.request(method, path, **kw)
    except httpx2.TransportError:
        samples.errors += 1
        return None
    elapsed = time.perf_counter() - started
    samples.latencies.append(elapsed)
    samples.by_method.setdefault(method, []).append(elapsed)
    if not response.is_success:
        samples.non_2xx += 1
    return response


async def python_get_load(url: str, path: str, connections: int, seconds: float) -> Samples:
    """The fallback tool, and the client-side ceiling: `connections` keep-alive GET loops."""
    import httpx2

    samples = Samples()
    deadline = time.monotonic() + seconds

    async def one() -> None:
        async with httpx2.AsyncClient(
            base_url=url, timeout=30, limits=httpx2.Limits(max_connections=1)
        ) as client:
            while time.monotonic() < deadline:
                await _timed(client, samples, "GET", path)

    await asyncio.gather(*(one() for _ in range(connections)))
    return samples


async def study_loop(url: str, tokens: list[str], slugs: list[str], seconds: float) -> Samples:
    """Each user: GET study/next, POST its card rated "again" with a fresh idempotency key."""
    import httpx2

    samples = Samples()
    deadline = time.monotonic() + seconds

    async def one(number: int, token: str) -> None:
        rng = random.Random(number)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(
            base_url=url, headers=headers, timeout=30, limits=httpx2.Limits(max_connections=1)
        ) as client:
            sent = 0
            while time.monotonic() < deadline:
                shown = await _timed(client, samples, "GET", "/api/v1/study/next")
                if shown is None or not shown.is_success:
                    await asyncio.sleep(0.05)
                    continue
                card = shown.json().get("card")
                body = {
                    "card": card["slug"] if card else rng.choice(slugs),
                    "rating": 1,
                    "duration_ms": 1500,
                    "idempotency_key": f"bench-{number}-{sent}-{rng.getrandbits(32):x}",
                }
                sent += 1
                await _timed(client, samples, "POST", "/api/v1/reviews", json=body)

    await asyncio.gather(*(one(n, token) for n, token in enumerate(tokens)))
    return samples


def drive_get(tool: str, url: str, connections: int, seconds: float) -> Row:
    path = "/" + url.split("/", 3)[3]
    if tool == "wrk":
        return Row(path, "wrk", *run_wrk(url, connections, seconds))
    if tool == "hey":
        return Row(path, "hey", *run_hey(url, connections, seconds))
    base = url.rsplit(path, 1)[0]
    return asyncio.run(python_get_load(base, path, connections, seconds)).row(path, tool, seconds)


# --- accounts and history -------------------------------------------------------------------


def make_accounts(
    database_url: str, data_dir: Path, names: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """Users (cheap password hashes: nobody logs in) and an API token each: name -> (id, token)."""
    from app.auth.tokens import create_token
    from app.auth.users import create_user
    from app.config import Settings
    from app.db import make_engine, make_sessionmaker
    from app.models import utcnow

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=SECRET,
        password_hash_time_cost=1,
        password_hash_memory_kib=8,
    )
    engine = make_engine(database_url)
    tokens: dict[str, tuple[int, str]] = {}
    try:
        with make_sessionmaker(engine)() as session:
            for name in names:
                user = create_user(
                    session=session,
                    settings=settings,
                    name=name,
                    password="correct horse battery",
                    by_admin=True,
                )
                _, token = create_token(session=session, user=user, name="bench", now=utcnow())
                tokens[name] = (user.id, token)
    finally:
        engine.dispose()
    return tokens


def seed_history(database_url: str, user_id: int, reviews: int) -> None:
    """`reviews` review-log rows over the last ~400 days, and a state row per card, by SQL."""
    from sqlalchemy import insert, select

    from app.db import make_engine
    from app.models import Card, CardState, ReviewLog

    now = datetime.now(UTC)
    rng = random.Random(11)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            card_ids = list(connection.scalars(select(Card.id)))
            span = timedelta(days=400).total_seconds()
            rows = []
            for number in range(reviews):
                reviewed = now - timedelta(seconds=span * (1 - number / reviews))
                rows.append(
                    {
                        "user_id": user_id,
                        "card_id": card_ids[number % len(card_ids)],
                        "rating": rng.choice((1, 3, 3, 3, 4)),
                        "reviewed_at": reviewed,
                        "duration_ms": 1000,
                        "state_before": 2,
                        "stability_before": 10.0,
                        "difficulty_before": 5.0,
                        "due_before": reviewed,
                        "last_review_before": reviewed - timedelta(days=3),
                        "state_after": 2,
                        "stability_after": 12.0,
                        "difficulty_after": 5.0,
                        "due_after": reviewed + timedelta(days=rng.randint(1, 30)),
                    }
                )
            connection.execute(insert(ReviewLog), rows)
            states = [
                {
                    "user_id": user_id,
                    "card_id": card_id,
                    "state": 2,
                    "step": None,
                    "stability": 12.0,
                    "difficulty": 5.0,
                    # Half due now, half later: study/next has a due queue to order.
                    "due": now + timedelta(days=(-1 if index % 2 else 5)),
                    "last_review": now - timedelta(days=1),
                    "suspended": False,
                    "buried_until": None,
                    "version": reviews // len(card_ids),
                    "updated_at": now,
                }
                for index, card_id in enumerate(card_ids)
            ]
            connection.execute(insert(CardState), states)
        _rebuild_aggregates(engine, user_id)
    finally:
        engine.dispose()


def _rebuild_aggregates(engine: Any, user_id: int) -> None:
    """Recount what the app keeps beside the log (when it does: app.srs.aggregates), so the
    seeded history is what stats and the overview read, as if it had come through the API."""
    import importlib

    from app.db import make_sessionmaker, session_scope
    from app.models import User

    try:
        aggregates = importlib.import_module("app.srs.aggregates")
    except ImportError:
        return
    rebuild = getattr(aggregates, "rebuild_user", None)
    if rebuild is None:
        print("  WARNING: app.srs.aggregates has no rebuild_user; the seed may bypass stats")
        return
    with session_scope(make_sessionmaker(engine)) as session:
        rebuild(session, session.get_one(User, user_id))


def time_requests(url: str, token: str, path: str, count: int) -> float:
    """Median milliseconds of `count` sequential GETs (after 3 warm-ups)."""
    import httpx2

    times = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=url, headers=headers, timeout=30) as client:
        for number in range(count + 3):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            if number >= 3:
                times.append(elapsed * 1000)
    return statistics.median(times)


# --- the run --------------------------------------------------------------------------------


def ratio_text(value: float | None) -> str:
    return "" if value is None else f"{value:6.1%}"


def print_table(rows: list[Row], bare_rps: float) -> None:
    header = (
        f"{'endpoint':<30} {'tool':<6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx':>8} {'errors':>7} {'vs bare':>8}  target"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = row.rps / bare_rps if bare_rps else None
        verdict = ""
        if row.target_ratio is not None and ratio is not None:
            verdict = "  ok" if ratio >= row.target_ratio else "  MISSED"
        print(
            f"{row.endpoint:<30} {row.tool:<6} {row.rps:>8.0f} {row.p50_ms:>8.1f} "
            f"{row.p99_ms:>8.1f} {row.non_2xx:>8} {row.errors:>7} {ratio_text(ratio):>8}  "
            f"{row.target}{verdict}{row.extra}"
        )


def pick_tool(wanted: str) -> str:
    if wanted != "auto":
        return wanted
    return next((tool for tool in ("wrk", "hey") if shutil.which(tool)), "python")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per endpoint instead of 10")
    parser.add_argument("--seconds", type=float, help="seconds per endpoint (overrides --quick)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--log-level", default="warning", help="both servers' uvicorn log level")
    parser.add_argument("--tool", choices=("auto", "wrk", "hey", "python"), default="auto")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("GRADCARDS_DATABASE_URL", ""),
        help="the app's database (default: SQLite in a temporary data dir)",
    )
    parser.add_argument("--history", type=int, default=10_000, help="reviews of the heavy user")
    parser.add_argument(
        "--only",
        help="run only the app rows whose endpoint contains this text (e.g. 'study', '/cards/')",
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare(args.serve_bare, args.workers, args.log_level)
        return
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    tool = pick_tool(args.tool)
    with tempfile.TemporaryDirectory(prefix="gradcards-bench-") as scratch:
        run(Path(scratch), args, seconds, tool)


def run(scratch: Path, args: argparse.Namespace, seconds: float, tool: str) -> None:
    import uvicorn

    data_dir = scratch / "data"
    database_url = args.database_url or f"sqlite:///{data_dir / 'gradcards.db'}"
    backend = database_url.split(":", 1)[0]
    loop = "uvloop" if _importable("uvloop") else "asyncio"
    http = "httptools" if _importable("httptools") else "h11"
    print(
        f"gradcards HTTP benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs; "
        f"uvicorn {uvicorn.__version__} workers={args.workers} loop=auto({loop}) "
        f"http=auto({http}) log={args.log_level}; {args.connections} connections x "
        f"{seconds:g} s; load tool {tool}; database {backend}"
    )
    rows: list[Row] = []

    port = free_port()
    bare = Served(
        [
            *(sys.executable, "-m", "bench.http", "--serve-bare", str(port)),
            *("--workers", str(args.workers), "--log-level", args.log_level),
        ],
        {},
        scratch / "bare.log",
        port,
    )
    try:
        bare.wait_healthy("/json")
        bare_row = drive_get(tool, f"{bare.url}/json", args.connections, seconds)
        bare_row.endpoint = "bare FastAPI GET /json"
        rows.append(bare_row)
        if tool != "python":
            ceiling = asyncio.run(python_get_load(bare.url, "/json", args.connections, seconds))
            rows.append(ceiling.row("bare /json (python client)", "python", seconds))
            rows[-1].extra = "  (ceiling of the study-loop client)"
    finally:
        bare.stop()

    port = free_port()
    env = {
        "GRADCARDS_DATA_DIR": str(data_dir),
        "GRADCARDS_DATABASE_URL": database_url,
        "GRADCARDS_SECRET_KEY": SECRET,
        "GRADCARDS_LOG_LEVEL": args.log_level,
    }
    app = Served(
        [
            *gradcards_command(),
            *("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)),
        ],
        env,
        scratch / "app.log",
        port,
    )
    try:
        app.wait_healthy("/healthz")
        for key, value in env.items():  # the account helpers read Settings like the server
            os.environ[key] = value
        run_id = f"{random.getrandbits(24):06x}"
        # One set of users for the wrk loop and one for the Python client's, each starting fresh.
        names = [f"b{run_id}u{n:03d}" for n in range(2 * args.connections)]
        heavy, fresh = f"b{run_id}heavy", f"b{run_id}fresh"
        accounts = make_accounts(database_url, data_dir, [*names, heavy, fresh])

        targets: list[tuple[str, str, float]] = [
            ("/healthz", ">= 50 %", 0.50),
            ("/api/v1/cards?limit=50", ">= 25 %", 0.25),
            ("/decks/backprop", ">= 25 %", 0.25),
            ("/cards/chain-rule", ">= 25 %", 0.25),
        ]
        for path, target, ratio in targets:
            if args.only and args.only not in path:
                continue
            row = drive_get(tool, app.url + path, args.connections, seconds)
            row.target, row.target_ratio = target, ratio
            rows.append(row)

        if args.only and args.only not in "study loop history":
            print_table(rows, bare_row.rps)
            return
        slugs = _slugs(app.url)
        tokens = [accounts[name][1] for name in names]
        half = len(tokens) // 2  # each tool's users start with fresh queues of their own
        if tool == "wrk":
            row = Row(
                "study loop next+review",
                "wrk",
                *run_wrk_study(app.url, tokens[:half], slugs, seconds, scratch),
            )
            row.target, row.target_ratio = ">= 15 %, p99 < 100 ms, 0 non-2xx", 0.15
            if row.p99_ms >= 100 or row.non_2xx or row.errors:
                row.target_ratio = float("inf")  # any part missed is a miss
            rows.append(row)
        loop_samples = asyncio.run(study_loop(app.url, tokens[half:], slugs, seconds))
        row = loop_samples.row("study loop (python client)", "python", seconds)
        if tool != "wrk":
            row.endpoint = "study loop next+review"
            row.target, row.target_ratio = ">= 15 %, p99 < 100 ms, 0 non-2xx", 0.15
            if row.p99_ms >= 100 or row.non_2xx or row.errors:
                row.target_ratio = float("inf")
        rows.append(row)

        print_table(rows, bare_row.rps)
        print(f"  study loop, python client: {loop_samples.split()}")
        if args.only and args.only not in "history":
            return
        history(app.url, database_url, accounts[heavy], accounts[fresh], args, seconds)
    finally:
        app.stop()


def history(
    url: str,
    database_url: str,
    heavy: tuple[int, str],
    fresh: tuple[int, str],
    args: argparse.Namespace,
    seconds: float,
) -> None:
    started = time.perf_counter()
    seed_history(database_url, heavy[0], args.history)
    print(
        f"\nhistory: seeded {args.history} reviews by SQL in {time.perf_counter() - started:.1f} s"
    )
    count = 30 if seconds < 10 else 100
    import httpx2

    seen = httpx2.get(
        f"{url}/api/v1/stats?days=365", headers={"Authorization": f"Bearer {heavy[1]}"}, timeout=30
    ).json()
    counted = sum(day["reviews"] for day in seen.get("reviews_per_day", []))
    print(
        f"  /api/v1/stats?days=365 of the heavy user counts {counted} reviews "
        f"(seeded in that window: ~{args.history * 365 // 400})"
        + ("" if counted else "  WARNING: the SQL seed bypasses what stats reads")
    )
    print(f"  {'sequential GET (median of ' + str(count) + ')':<40} {'new':>8} {'heavy':>8}  ratio")
    for path in ("/api/v1/study/next", "/api/v1/stats"):
        light = time_requests(url, fresh[1], path, count)
        loaded = time_requests(url, heavy[1], path, count)
        verdict = "ok" if loaded <= 1.5 * light else "MISSED"
        print(
            f"  {path:<40} {light:>6.1f}ms {loaded:>6.1f}ms  {loaded / light:5.2f}x"
            f"  target <= 1.5x {verdict}"
        )


def _slugs(url: str) -> list[str]:
    import httpx2

    items = httpx2.get(f"{url}/api/v1/cards?limit=100", timeout=30).json()["items"]
    return [item["slug"] for item in items]


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    if not __package__:
        sys.exit("run this as `python -m bench.http` (as a script it shadows the `http` module)")
    main()
