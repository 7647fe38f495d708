"""The classic mistakes each exercise kind of the init_norm deck must list and reject."""

REQUIRED: dict[str, set[str]] = {}
