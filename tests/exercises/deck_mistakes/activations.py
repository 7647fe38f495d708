"""The classic mistakes each exercise kind of the activations deck must list and reject."""

REQUIRED: dict[str, set[str]] = {}
