"""The classic mistakes each exercise kind of the losses deck must list and reject."""

REQUIRED: dict[str, set[str]] = {}
