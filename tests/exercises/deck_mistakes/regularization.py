"""The classic mistakes the regularization deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {}
