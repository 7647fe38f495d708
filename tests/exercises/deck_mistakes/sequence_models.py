"""The classic mistakes the sequence-models deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {}
