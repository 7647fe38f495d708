"""The classic mistakes the optimization deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {}
