"""The regularization deck's demos: each module registers one on import."""

from app.demos.regularization import (  # noqa: F401  (they register)
    augmentation_invariance,
    bias_variance,
    double_descent,
    dropout_inverted,
    early_stopping,
    l1_sparsity,
    label_noise,
    max_norm,
    mc_dropout,
    min_norm_gd,
    minibatch_noise,
    mixup_targets,
    noise_injection,
    stochastic_depth,
    weight_decay_l2,
)
