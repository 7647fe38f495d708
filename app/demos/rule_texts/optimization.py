"""Engine rules the optimization deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism."""

RULES: dict[str, str] = {}
