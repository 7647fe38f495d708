"""The losses deck's exercise kinds: each registers on import."""
