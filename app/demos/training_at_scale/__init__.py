"""The training-at-scale deck's demos: each module registers one on import."""

from app.demos.training_at_scale import (  # noqa: F401  (they register)
    allreduce_mean,
    bf16_range_precision,
    grad_accumulation,
    loss_scaling,
    mfu_estimate,
    mixed_precision_bytes,
    selective_checkpointing,
    zero_sharding,
)
