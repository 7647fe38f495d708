"""The init_norm deck's exercise kinds: each registers on import."""
