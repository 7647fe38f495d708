"""Schemathesis over the whole OpenAPI schema of a real server, with a bearer token (issue 11).

`schemathesis run --checks all` drives every operation through its phases (examples, coverage,
fuzzing, stateful chains such as GET /tokens -> DELETE /tokens/{id}) and the test fails on any
finding: a 5xx, a status or header or body the schema does not document, a 405 whose Allow
differs from the path's methods, a request the schema forbids that is accepted, or one it
allows that is refused. Bounded by --max-examples: well under a minute per backend.

The token comes from tests/api/st_hooks.py, which mints a new one whenever the fuzzer has revoked
the one it used. The seed is fixed so a finding reproduces; GRADCARDS_SCHEMATHESIS_SEED picks
another, GRADCARDS_SCHEMATHESIS_EXAMPLES more examples (for a longer hunt by hand).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.auth.users import create_user
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from tests.conftest import CONTENT_DIR, REPO, TEST_SECRET
from tests.servers import running_server

FUZZ_USER = "fuzz"
MAX_EXAMPLES = os.environ.get("GRADCARDS_SCHEMATHESIS_EXAMPLES", "25")
SEED = os.environ.get("GRADCARDS_SCHEMATHESIS_SEED", "11")
RUN_SECONDS = 240  # a hard stop far above the expected ~20-40 s, so a hang fails, not blocks

# Where the schema cannot say what the server checks, 422 is the right answer to a request the
# schema allows, and positive_data_acceptance is told so for those operations only:
# - a cursor is opaque: only a next_cursor this server produced is one;
# - the fields an answer needs depend on the exercise kind in the path;
# - a quiz score's `right` cannot exceed its `total` (a relation JSON Schema cannot state).
CONFIG = """
[[operations]]
include-path = "/api/v1/quiz-results"
checks.positive_data_acceptance.expected-statuses = ["2xx", "422"]

[[operations]]
include-path = "/api/v1/cards"
checks.positive_data_acceptance.expected-statuses = ["2xx", "422"]

[[operations]]
include-path = "/api/v1/exercises/{kind}/check"
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "422"]
"""


def schemathesis_command() -> list[str]:
    installed = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert installed, "schemathesis is a dev dependency: pip install -e '.[dev]'"
    return [installed]


def test_schemathesis_finds_nothing(migrated: Settings, tmp_path: Path) -> None:
    # The server migrates again (a no-op) and loads the decks; the user must exist before the
    # first request, as the token provider mints tokens for it.
    engine = make_engine(migrated.database_url)
    with make_sessionmaker(engine)() as session:
        create_user(
            session=session,
            settings=migrated.model_copy(
                update={"password_hash_time_cost": 1, "password_hash_memory_kib": 8}
            ),
            name=FUZZ_USER,
            password="correct horse battery",
            by_admin=True,
        )
    engine.dispose()
    env = {
        "GRADCARDS_DATABASE_URL": migrated.database_url,
        "GRADCARDS_DATA_DIR": str(tmp_path / "data"),
        "GRADCARDS_CONTENT_DIR": str(CONTENT_DIR),
        "GRADCARDS_EXTRA_CONTENT_DIR": "",
        "GRADCARDS_SECRET_KEY": TEST_SECRET,
        "GRADCARDS_PASSWORD_HASH_TIME_COST": "1",
        "GRADCARDS_PASSWORD_HASH_MEMORY_KIB": "8",
        "GRADCARDS_LOG_LEVEL": "warning",
        "GRADCARDS_WORKERS": "1",
    }
    work = tmp_path / "schemathesis"  # its config, and hypothesis's files, stay in here
    work.mkdir()
    (work / "schemathesis.toml").write_text(CONFIG, encoding="utf-8")
    with running_server(env, tmp_path / "server.log") as url:
        command = [
            *schemathesis_command(),
            "run",
            f"{url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            # One worker: hypothesis's lambda descriptions (ast.parse) are not thread-safe on
            # CPython 3.11 and fail as a SystemError in a run with several.
            "--workers",
            "1",
            "--no-color",
        ]
        run = subprocess.run(
            command,
            cwd=work,
            env={
                **os.environ,
                "PYTHONPATH": str(REPO),
                "SCHEMATHESIS_HOOKS": "tests.api.st_hooks",
                "GRADCARDS_DATABASE_URL": migrated.database_url,
                "GRADCARDS_FUZZ_USER": FUZZ_USER,
            },
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
        )
    server_log = (tmp_path / "server.log").read_text(errors="replace")
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n--- server log ---\n{server_log}"
    assert "Traceback" not in server_log, server_log
