"""Every refused password costs one Argon2 verification: timing reveals no name, no length."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth import passwords
from app.auth.passwords import MAX_PASSWORD_LENGTH, hash_password, verify_password
from app.config import Settings


@pytest.fixture
def cheap(tmp_path: Any) -> Settings:
    return Settings(data_dir=tmp_path, password_hash_time_cost=1, password_hash_memory_kib=1024)


@pytest.mark.parametrize(
    ("password", "known_user"),
    [
        ("wrong password", True),
        ("wrong password", False),
        ("x" * (MAX_PASSWORD_LENGTH + 1), True),
        ("x" * (MAX_PASSWORD_LENGTH + 1), False),
    ],
)
def test_each_refusal_runs_exactly_one_verification(
    cheap: Settings, monkeypatch: pytest.MonkeyPatch, password: str, known_user: bool
) -> None:
    stored = hash_password(settings=cheap, password="correct horse battery") if known_user else None
    real = passwords._hasher(cheap.password_hash_time_cost, cheap.password_hash_memory_kib)
    calls: list[int] = []

    class Counting:
        def hash(self, password: str) -> str:
            return str(real.hash(password))

        def verify(self, *args: Any) -> bool:
            calls.append(1)
            return bool(real.verify(*args))

    monkeypatch.setattr(passwords, "_hasher", lambda *cost: Counting())
    assert verify_password(settings=cheap, password=password, password_hash=stored) is False
    assert calls == [1]
