"""The classic mistakes the training-at-scale deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {}
