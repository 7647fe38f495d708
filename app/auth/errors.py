"""Errors the account services raise; routes turn them into 4xx responses."""

from __future__ import annotations


class AccountError(ValueError):
    """A request about accounts that cannot be honoured; the message says why."""


class SignupClosed(AccountError):
    """Sign-up is closed on this server."""


class NameTaken(AccountError):
    """Another account already has this name."""


class RateLimited(AccountError):
    """Too many failed logins; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed logins. Try again in {retry_after} seconds.")
        self.retry_after = retry_after
