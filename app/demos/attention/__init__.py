"""The attention deck's demos: each module registers one on import."""

from app.demos.attention import (  # noqa: F401  (they register)
    attention_backward,
    causal_mask,
    kv_cache,
    mha_cost,
    sqrt_dk_scaling,
)
