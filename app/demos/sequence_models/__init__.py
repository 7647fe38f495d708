"""The sequence-models deck's demos: each module registers one on import."""
