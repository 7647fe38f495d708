"""compose.yaml: SQLite by default in a named volume; the postgres profile adds a healthy PG 16."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "compose.yaml"


def services() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert set(data["volumes"]) == {"gradcards-data", "gradcards-pg"}
    return dict(data["services"])


def test_the_default_service_keeps_sqlite_in_a_named_volume() -> None:
    app = services()["gradcards"]
    assert "profiles" not in app
    assert "gradcards-data:/data" in app["volumes"]
    assert app["environment"]["GRADCARDS_DATABASE_URL"] == "${GRADCARDS_DATABASE_URL:-}"
    assert all(port.startswith("127.0.0.1:") for port in app["ports"])


def test_the_postgres_profile_is_postgres_16_with_a_healthcheck_the_app_waits_for() -> None:
    found = services()
    postgres = found["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in postgres["healthcheck"]["test"][1]
    wait = found["gradcards"]["depends_on"]["postgres"]
    assert wait == {"condition": "service_healthy", "required": False}
