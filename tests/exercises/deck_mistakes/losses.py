"""The classic mistakes each exercise kind of the losses deck must list and reject."""

REQUIRED: dict[str, set[str]] = {
    "multilabel_bce_gradient": {"divided_by_batch", "softmax_instead"},
    "smoothed_ce_gradient": {"spread_over_others", "smoothing_forgotten"},
    "huber_gradient": {"unclipped", "smooth_l1_scale"},
    "weighted_ce_gradient": {"divided_by_batch", "weights_forgotten"},
    "padded_ce_gradient": {"divided_by_all_rows", "padding_as_class_0"},
}
