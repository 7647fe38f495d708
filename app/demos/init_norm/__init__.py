"""The init_norm deck's demos: each module registers one on import."""

from app.demos.init_norm import (  # noqa: F401  (they register)
    batchnorm_accumulation,
    batchnorm_backward,
    batchnorm_running_stats,
    depth_variance,
    groupnorm_small_batch,
    he_relu_variance,
    layernorm_tokens,
    norm_affine,
    norm_invariances,
    norm_weight_decay,
    orthogonal_jacobian,
    pre_post_ln,
    residual_scaling,
    symmetry_breaking,
    xavier_variance,
)
