"""Time and count one study step in process: `python -m tests.srs.study_step_timing [steps]`.

Builds a throwaway SQLite database with the bundled decks, one user with a token, then runs
`GET /api/v1/study/next` + `POST /api/v1/reviews` through the ASGI app (no network), printing
the median and p90 service time and the SQL statements of each request. Never run as a test.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from app.auth.tokens import create_token
from app.auth.users import create_user
from app.catalog.loader import deck_files, import_decks
from app.catalog.registries import catalog_registries
from app.config import Settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.main import create_app
from app.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]


class Clock:
    """A clock moved by hand, so learning steps come due without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def main(steps: int) -> None:
    """Run `steps` study steps and print the timings and statement counts."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{tmp}/t.db",
            content_dir=REPO / "content",
            secret_key="x" * 40,
            password_hash_time_cost=1,
            password_hash_memory_kib=8,
            log_level="warning",
        )
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        factory = make_sessionmaker(engine)
        with session_scope(factory) as db:
            import_decks(db, deck_files(REPO / "content"), catalog_registries(REPO / "content"))
        clock = Clock()
        with factory() as db:
            user = create_user(session=db, settings=settings, name="ada", password="p" * 12)
            _, token = create_token(session=db, user=user, name="t", now=clock())
        engine.dispose()
        headers = {"Authorization": f"Bearer {token}"}
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(Engine, "before_cursor_execute", count)
        times: dict[str, list[float]] = {"study/next": [], "reviews": []}
        counts: dict[str, set[int]] = {"study/next": set(), "reviews": set()}
        with TestClient(create_app(settings, clock=clock)) as client:
            for i in range(steps):
                clock.now += timedelta(minutes=7)
                statements.clear()
                start = time.perf_counter()
                shown = client.get("/api/v1/study/next", headers=headers).json()
                times["study/next"].append(time.perf_counter() - start)
                counts["study/next"].add(len(statements))
                if "-v" in sys.argv and i == steps // 2:
                    print("\n".join(s.split("\n")[0][:100] for s in statements))
                if shown["card"] is None:
                    clock.now += timedelta(days=1)
                    continue
                body = {
                    "card": shown["card"]["slug"],
                    "rating": 1 + i % 4,
                    "idempotency_key": str(i),
                }
                statements.clear()
                start = time.perf_counter()
                response = client.post("/api/v1/reviews", json=body, headers=headers)
                times["reviews"].append(time.perf_counter() - start)
                counts["reviews"].add(len(statements))
                if "-v" in sys.argv and i == steps // 2:
                    print("\n".join(s.split("\n")[0][:100] for s in statements))
                assert response.status_code == 201, response.text
        event.remove(Engine, "before_cursor_execute", count)
        for name, values in times.items():
            values.sort()
            p90 = values[int(len(values) * 0.9)]
            print(
                f"{name:11s} n={len(values):4d} median={statistics.median(values) * 1000:6.2f} ms "
                f"p90={p90 * 1000:6.2f} ms statements={sorted(counts[name])}"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 300)
