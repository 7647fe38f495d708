"""The `gradcards` command: help, import (good, unchanged, malformed), db upgrade, serve."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from tests.catalog.test_loader import GOOD
from tests.conftest import CONTENT_DIR
from tests.dbstate import sqlite_file_digest
from tests.servers import free_port, get_json, gradcards_command, running_server


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Environment for a CLI run against a fresh SQLite database in tmp_path."""
    values = {
        "GRADCARDS_DATA_DIR": str(tmp_path / "data"),
        "GRADCARDS_CONTENT_DIR": str(CONTENT_DIR),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GRADCARDS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [[], ["import"], ["serve"], ["db"], ["db", "upgrade"]])
def test_every_command_has_help(command: list[str]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0
    assert "Usage:" in out


def test_import_loads_the_content_dir_then_reports_unchanged(env: dict[str, str]) -> None:
    code, out, _ = run("import")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) >= 4 and all(", 15 added, 0 updated, 0 retired" in line for line in lines)
    assert "backprop: created, 15 added, 0 updated, 0 retired" in out
    code, out, _ = run("import")
    assert code == 0
    assert len(out.splitlines()) == len(lines) and "backprop: unchanged" in out


def test_import_of_a_malformed_deck_fails_with_file_line_and_changes_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run("import")[0] == 0
    database = get_settings().database_url
    digest = sqlite_file_digest(database)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.read_text().replace("difficulty: hard", "difficulty: extreme"))
    code, out, err = run("import", str(bad))
    assert code == 1
    assert f"{bad}:31: cards[2].difficulty: Input should be 'easy', 'medium' or 'hard'" in err
    assert "1 problem; nothing was imported." in err
    assert out == ""
    assert sqlite_file_digest(database) == digest


def test_import_of_a_missing_path_fails_clearly(env: dict[str, str], tmp_path: Path) -> None:
    code, _, err = run("import", str(tmp_path / "missing.yaml"))
    assert code == 1
    assert "no such file or directory" in err


def test_db_upgrade(env: dict[str, str]) -> None:
    code, out, _ = run("db", "upgrade")
    assert code == 0
    assert "upgraded to head" in out
    assert Path(env["GRADCARDS_DATA_DIR"], "gradcards.db").exists()


def test_serve_migrates_loads_and_answers(env: dict[str, str], tmp_path: Path) -> None:
    with running_server(env, tmp_path / "serve.log") as url:
        body = get_json(f"{url}/api/v1/cards?difficulty=hard&deck=backprop")
    assert [card["number"] for card in body["items"]] == [7, 9]


def test_serve_refuses_to_start_on_a_malformed_deck(env: dict[str, str], tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "bad.yaml").write_text("- not a deck\n")
    result = subprocess.run(
        [*gradcards_command(), "serve", "--port", str(free_port())],
        env={**os.environ, **env, "GRADCARDS_CONTENT_DIR": str(content)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"{content / 'bad.yaml'}:1: (file): a deck file must be a mapping" in result.stderr


def test_demo_prints_steps_and_checks() -> None:
    code, out, _ = run("demo", "linear_backward", "--seed", "3", "--batch", "2", "--n-in=2")
    assert code == 0
    assert "params: seed=3, batch=2, n_in=2, n_out=2" in out
    assert "X  (2×2)" in out
    assert "[PASS] analytic ∂L/∂W equals central differences" in out


def test_demo_list_names_every_demo() -> None:
    code, out, _ = run("demo", "--list")
    assert code == 0
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("linear_backward "))
    # Each demo's parameters follow it, with their defaults and the range the model allows.
    assert " ".join(lines[at + 1].split()) == (
        "seed=0 (0 to 2147483647) batch=4 (1 to 32) n_in=3 (1 to 16) n_out=2 (1 to 16)"
    )


def test_demo_refuses_bad_params_and_unknown_names() -> None:
    code, _, err = run("demo", "linear_backward", "--batch", "99")
    assert code == 2
    assert "batch: Input should be less than or equal to 32" in err
    code, _, err = run("demo", "linear_backward", "--batch")
    assert code == 2
    assert "--batch: missing a value" in err
    code, _, err = run("demo", "no_such_demo")
    assert code == 2
    assert "unknown demo 'no_such_demo'; `gradcards demo --list` shows them" in err
    code, _, err = run("demo", "linear_backwrd")
    assert code == 2 and "unknown demo 'linear_backwrd'; did you mean 'linear_backward'?" in err
    code, _, err = run("demo", "linear_backward", "--n-inn", "2")
    assert code == 2 and "n_inn: unknown parameter; did you mean 'n_in'?" in err
    code, _, err = run("demo", "linear_backward", "--width", "2")
    assert code == 2
    assert "width: unknown parameter; this demo takes batch, n_in, n_out, seed" in err


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("GRADCARDS_PORT", "abc", "GRADCARDS_PORT='abc': Input should be a valid integer"),
        ("GRADCARDS_WORKERS", "0", "GRADCARDS_WORKERS='0': Input should be greater than"),
        ("GRADCARDS_SECRET_KEY", "short-secret", "GRADCARDS_SECRET_KEY must be at least 32"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable_and_exit_2(
    env: dict[str, str], variable: str, value: str, says: str
) -> None:
    # The console script's entry point, not CliRunner: main() is where the error is caught.
    result = subprocess.run(
        [*gradcards_command(), "db", "upgrade"],
        env={**os.environ, **env, variable: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("gradcards: ") and says in line
    if variable == "GRADCARDS_SECRET_KEY":
        assert value not in line  # a secret, even a rejected one, is not echoed to logs
