"""The activations deck's exercise kinds: each registers on import."""
