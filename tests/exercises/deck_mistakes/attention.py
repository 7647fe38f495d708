"""The classic mistakes the attention deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {}
