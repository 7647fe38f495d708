"""The classic mistakes each exercise kind of the regularization deck must list and reject."""

REQUIRED: dict[str, set[str]] = {
    "dropout_forward_backward": {"no_rescale", "scale_by_keep", "gradient_unmasked"},
    "l1_l2_shrinkage": {"l1_shrinks_proportionally", "no_clamp"},
    "mixup_gradient": {"lambda_swapped", "hard_label"},
    "max_norm_projection": {"all_rows_scaled", "entries_clipped"},
}
