"""Errors the study services raise; each carries the HTTP status a route should answer."""

from __future__ import annotations


class StudyError(ValueError):
    """A study request that cannot be honoured; the message says why."""

    status = 400


class UnknownCard(StudyError):
    status = 404


class RetiredCard(StudyError):
    status = 410


class StudyConflict(StudyError):
    """The request contradicts the current state (suspended card, reused key, nothing to undo)."""

    status = 409


class BadStudySetting(StudyError):
    status = 422
