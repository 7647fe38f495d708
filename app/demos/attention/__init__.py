"""The attention deck's demos: each module registers one on import."""
