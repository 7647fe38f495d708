"""The classic mistakes the training-at-scale deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {
    "zero_memory_per_device": {"master_copy_forgotten", "stage1_shards_gradients"},
    "grad_scaler_schedule": {"counter_not_reset", "grow_every_step", "no_skip"},
    "token_weighted_loss": {"mean_of_means", "ratio_inverted"},
    "mfu_from_throughput": {"forward_only", "multiply_adds", "recompute_in_mfu"},
}
