"""The cnn deck's demos: each module registers one on import."""

from app.demos.cnn import (  # noqa: F401  (they register)
    batchnorm_channels,
    conv_backward,
    conv_cost,
    conv_output_size,
    effective_receptive_field,
    global_pooling,
    grouped_conv,
    im2col,
    maxpool_backward,
    receptive_field,
    resnet_gradients,
    separable_conv,
    translation_equivariance,
    transposed_conv,
    weight_sharing,
)
