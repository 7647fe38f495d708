"""The init_norm deck's demos: each module registers one on import."""
