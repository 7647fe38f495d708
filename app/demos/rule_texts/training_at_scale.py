"""Engine rules the training-at-scale deck's demos rest on: "<op>.vjp", "<op>.jvp", a mechanism."""

RULES: dict[str, str] = {}
