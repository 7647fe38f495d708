"""CLI: export, import-csv, backup and restore, the extra deck directory, serve --workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings, get_settings
from app.paths import resource_dir
from tests.dbstate import sqlite_file_digest
from tests.servers import get_json, running_server
from tests.test_cli import env, run

__all__ = ["env"]  # the fixture, shared with test_cli

HEADER = "front,back,difficulty,topics\n"


def test_content_dir_defaults_to_the_bundled_decks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.content_dir == resource_dir("content")
    assert settings.content_dirs() == [resource_dir("content")]
    extra = Settings(data_dir=tmp_path, extra_content_dir=tmp_path / "decks")
    assert extra.content_dirs() == [resource_dir("content"), tmp_path / "decks"]
    assert extra.deck_target_dir() == tmp_path / "decks"
    monkeypatch.setenv("GRADCARDS_EXTRA_CONTENT_DIR", "")  # set but empty: no extra directory
    assert Settings(data_dir=tmp_path).extra_content_dir is None


def test_import_loads_the_extra_deck_directory_too(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "cards.csv").write_text(HEADER + "Mine?,Yes,easy,own\n")
    monkeypatch.setenv("GRADCARDS_EXTRA_CONTENT_DIR", str(decks))
    get_settings.cache_clear()
    code, out, err = run("import-csv", str(decks / "cards.csv"), "--deck", "own")
    assert code == 0, err
    assert f"wrote {decks / 'own.yaml'}" in out
    assert "own: created, 1 added" in out
    code, out, _ = run("import")
    assert code == 0
    assert "backprop: created" in out and "own: unchanged" in out


def test_import_csv_reports_bad_rows_and_changes_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run("import")[0] == 0
    digest = sqlite_file_digest(get_settings().database_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "ok,ok,easy,t\nq,a,sometimes,t\n")
    code, _, err = run("import-csv", str(bad), "--deck", "mine", "--into", str(tmp_path))
    assert code == 1
    assert f"{bad}:3: difficulty: Input should be 'easy', 'medium' or 'hard'" in err
    assert "1 problem; nothing was imported." in err
    assert not (tmp_path / "mine.yaml").exists()
    assert sqlite_file_digest(get_settings().database_url) == digest


def test_export_deck_csv_to_stdout_and_apkg_to_a_file(env: dict[str, str], tmp_path: Path) -> None:
    assert run("import")[0] == 0
    code, out, _ = run("export", "deck", "backprop")
    assert code == 0
    assert out.startswith("front,back,difficulty,topics\n")
    code, _, err = run("export", "deck", "backprop", "--format", "apkg")
    assert code == 2
    assert "--output" in err
    code, _, _ = run("export", "deck", "backprop", "--format", "apkg", "-o", str(tmp_path / "b"))
    assert code == 0
    assert (tmp_path / "b").read_bytes()[:2] == b"PK"
    code, _, err = run("export", "deck", "nope")
    assert code == 1
    assert "deck 'nope' not found" in err


def test_export_reviews_of_a_user(env: dict[str, str]) -> None:
    assert run("user", "add", "ada", "--password", "correct horse battery")[0] == 0
    code, out, _ = run("export", "reviews", "ada")
    assert code == 0
    assert out.startswith("reviewed_at,deck,card,rating")
    code, _, err = run("export", "reviews", "nobody")
    assert code == 1
    assert "no user named 'nobody'" in err


def test_backup_and_restore_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    assert run("import")[0] == 0
    backup = tmp_path / "backup.db"
    code, out, _ = run("backup", str(backup))
    assert (code, out) == (0, f"backed up to {backup}\n")
    assert run("user", "add", "ada", "--password", "correct horse battery")[0] == 0
    code, out, _ = run("restore", str(backup))
    assert code == 0
    assert "now migrated to head" in out
    assert run("export", "reviews", "ada")[0] == 1  # ada came after the backup
    code, _, err = run("backup", str(backup))
    assert code == 1
    assert "already exists" in err
    code, _, err = run("restore", str(tmp_path / "missing.db"))
    assert code == 1
    assert "no such file" in err


def test_backup_of_postgresql_points_to_pg_dump(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADCARDS_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:1/none")
    get_settings.cache_clear()
    code, _, err = run("backup", str(tmp_path / "b.db"))
    assert code == 1
    assert "pg_dump" in err


def test_serve_with_two_workers(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with running_server(env, log, args=["--workers", "2"]) as url:
        decks = get_json(f"{url}/api/v1/decks")
    bundled = sorted(path.stem for path in (Path(__file__).parents[1] / "content").glob("*.yaml"))
    assert sorted(deck["slug"] for deck in decks) == bundled
    assert "Started parent process" in log.read_text()
