"""Engine rules the sequence-models deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism."""

RULES: dict[str, str] = {}
