"""The training-at-scale deck's demos: each module registers one on import."""
