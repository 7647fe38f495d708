"""The losses deck's demos: each module registers one on import."""

from app.demos.losses import (  # noqa: F401  (they register)
    bce_logits_stability,
    ce_gradient_rows,
    class_weights,
    focal_loss,
    huber_outliers,
    ignore_index_padding,
    infonce,
    kl_direction,
    kl_div_conventions,
    label_smoothing,
    likelihood_losses,
    multilabel_vs_multiclass,
    reduction_lr,
    sigmoid_mse_saturation,
    temperature_scaling,
)
