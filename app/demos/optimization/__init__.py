"""The optimization deck's demos: each module registers one on import."""

from app.demos.optimization import (  # noqa: F401  (they register)
    adagrad_rmsprop,
    adam_bias_correction,
    adam_warmup,
    adamw_decay,
    batch_noise,
    grad_clipping,
    lr_range_test,
    lr_schedules,
    lr_stability,
    momentum_valley,
    nesterov_momentum,
    newton_convergence,
    saddle_escape,
    sharp_flat_minima,
    zero_grad_none,
)
