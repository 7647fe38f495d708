"""Engine rules the activations deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism name."""

RULES: dict[str, str] = {}
