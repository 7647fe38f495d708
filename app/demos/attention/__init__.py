"""The attention deck's demos: each module registers one on import."""

from app.demos.attention import (  # noqa: F401  (they register)
    attention_backward,
    attention_dropout,
    attention_memory,
    batchnorm_leak,
    causal_mask,
    copy_head,
    gpt_block_cost,
    gqa_cache,
    kv_cache,
    mha_cost,
    permutation_equivariance,
    residual_stream,
    rope_relative,
    sqrt_dk_scaling,
    stream_growth,
)
