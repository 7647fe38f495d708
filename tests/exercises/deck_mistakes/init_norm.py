"""The classic mistakes each exercise kind of the init_norm deck must list and reject."""

REQUIRED: dict[str, set[str]] = {
    "init_variance": {"xavier_fan_in_only", "he_no_factor_2"},
    "batchnorm_forward": {"unbiased_variance", "affine_forgotten"},
    "batchnorm_dx": {"no_mean_terms", "variance_term_forgotten", "dgamma_sum_g"},
    "running_stats_update": {"momentum_swapped", "biased_variance"},
    "norm_statistics": {"axes_swapped", "rms_is_std"},
}
