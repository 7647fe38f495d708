"""Settings: the one place environment variables are read (prefix GRADCARDS_)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.paths import resource_dir

SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    """Runtime configuration; every field is documented in the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="GRADCARDS_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        description="Directory for the SQLite database and the generated secret key.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/gradcards.db.",
    )
    content_dir: Path = Field(
        default_factory=lambda: resource_dir("content"),
        description="Directory of deck YAML files loaded at start (default: the bundled decks).",
    )
    extra_content_dir: Path | None = Field(
        default=None,
        description="A second deck directory loaded with CONTENT_DIR (one's own decks).",
    )
    secret_key: str = Field(
        default="",
        description="Signs sessions; generated once into DATA_DIR/secret_key when empty.",
    )
    host: str = Field(default="127.0.0.1", description="Address `gradcards serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `gradcards serve` binds.")
    workers: int = Field(
        default=1, ge=1, le=64, description="Worker processes `gradcards serve` starts."
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        default="info", description="Log level of the app and of uvicorn."
    )
    signup: Literal["open", "closed"] = Field(
        default="open", description="open: anyone may sign up; closed: only the CLI adds users."
    )
    session_days: int = Field(default=14, ge=1, le=365, description="Days a login session lasts.")
    secure_cookies: bool = Field(
        default=False, description="Mark the session cookie Secure (set it when serving HTTPS)."
    )
    password_hash_time_cost: int = Field(
        default=3, ge=1, le=20, description="Argon2id passes over memory per password hash."
    )
    password_hash_memory_kib: int = Field(
        default=65536, ge=8, le=4_194_304, description="Argon2id memory per password hash (KiB)."
    )
    login_attempts_per_account: int = Field(
        default=5, ge=1, description="Failed logins allowed per account name per window."
    )
    login_attempts_per_address: int = Field(
        default=20, ge=1, description="Failed logins allowed per client address per window."
    )
    login_window_seconds: int = Field(
        default=900, ge=1, description="Length of the failed-login window, in seconds."
    )
    fsrs_fuzzing: bool = Field(
        default=True, description="Spread review intervals a little so cards do not bunch up."
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body accepted; a larger one gets 413 before it is read.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000,
        ge=0,
        le=600_000,
        description="How long an SQLite connection waits for another writer's lock (ms).",
    )
    write_retry_seconds: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="Time a write keeps retrying a busy database; past it, 503 with Retry-After.",
    )
    study_threads: int = Field(
        default=4,
        ge=1,
        le=64,
        description=(
            "Threads per worker that run the study loop's database work at once; the rest wait "
            "their turn (more threads share one interpreter lock thinner and slow the writer)."
        ),
    )
    db_pool_size: int = Field(
        default=10, ge=1, le=500, description="Database connections each worker keeps open."
    )
    db_pool_overflow: int = Field(
        default=20, ge=0, le=500, description="Extra connections a worker may open under load."
    )
    db_pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long a request waits for a free connection; past it, 503.",
    )

    @field_validator("extra_content_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # GRADCARDS_EXTRA_CONTENT_DIR= (set but empty) means "no extra directory".
        return None if value == "" else value

    def content_dirs(self) -> list[Path]:
        """The deck directories to load: CONTENT_DIR, then EXTRA_CONTENT_DIR when set."""
        return [self.content_dir] + ([self.extra_content_dir] if self.extra_content_dir else [])

    def deck_target_dir(self) -> Path:
        """Where new decks (CSV imports) are written: the extra directory when there is one."""
        return self.extra_content_dir or self.content_dir

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'gradcards.db'}"
        if not self.secret_key:
            self.secret_key = _load_or_create_secret(self.data_dir)
        elif len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            # A short secret makes signed cookies guessable; refuse rather than run unsafely.
            raise ValueError(
                f"GRADCARDS_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters "
                "(leave it unset to have one generated)"
            )
        return self


def _load_or_create_secret(data_dir: Path) -> str:
    """Read the secret kept in the data dir, creating it (mode 0600) on first use."""
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: if two processes start at once, exactly one writes and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def settings_problems(error: ValidationError) -> list[str]:
    """One line per bad setting, naming its variable (the secret key's value is never shown)."""
    problems = []
    for item in error.errors(include_url=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        if not item["loc"]:  # a check across fields: its message names the variable itself
            problems.append(message)
            continue
        field = str(item["loc"][0])
        variable = f"GRADCARDS_{field.upper()}"
        shown = "" if field == "secret_key" else f"={item['input']!r}"
        problems.append(f"{variable}{shown}: {message}")
    return problems


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
