"""Argon2id password hashing, with a dummy verify so unknown names take as long as known ones."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.config import Settings

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing is deliberately slow: refuse megabyte "passwords"


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1),))


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash("not a password anyone has")


def password_problem(password: str) -> str | None:
    """Why `password` is not acceptable, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password must be at most {MAX_PASSWORD_LENGTH} characters long."
    return None


def _cost(settings: Settings) -> tuple[int, int]:
    return settings.password_hash_time_cost, settings.password_hash_memory_kib


def hash_password(*, settings: Settings, password: str) -> str:
    """An Argon2id hash of `password` with the configured cost."""
    return _hasher(*_cost(settings)).hash(password)


def verify_password(*, settings: Settings, password: str, password_hash: str | None) -> bool:
    """True when `password` matches; with no hash (no such user) still spend the same time."""
    hasher = _hasher(*_cost(settings))
    if password_hash is None or len(password) > MAX_PASSWORD_LENGTH:
        # Every refusal costs one hash, so timing tells nothing about the account or password.
        hasher.verify(password[:MAX_PASSWORD_LENGTH], _dummy_hash(*_cost(settings)))
        return False
    return hasher.verify(password, password_hash)
