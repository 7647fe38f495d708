"""The classic mistakes the cnn deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {}
