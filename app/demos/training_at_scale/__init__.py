"""The training-at-scale deck's demos: each module registers one on import."""

from app.demos.training_at_scale import (  # noqa: F401  (they register)
    allreduce_mean,
    bf16_range_precision,
    dead_relu_stats,
    eval_loop_bugs,
    finite_difference_eps,
    flat_loss_bugs,
    grad_accumulation,
    logsumexp_stable,
    loss_scaling,
    mfu_estimate,
    mixed_precision_bytes,
    nan_checklist,
    overfit_one_batch,
    selective_checkpointing,
    zero_sharding,
)
