"""Engine rules the losses deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism name."""

RULES: dict[str, str] = {}
