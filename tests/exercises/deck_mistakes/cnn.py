"""The classic mistakes the cnn deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {
    "conv_output_shape": {"dilation_ignored", "padding_once", "ceil_not_floor"},
    "conv1d_gradients": {"dx_kernel_not_flipped", "dw_one_position", "db_mean"},
    "maxpool_routing": {"spread_evenly", "every_tie", "last_tie"},
    "receptive_field_size": {"strides_ignored", "dilation_ignored"},
    "transposed_conv_1d": {"overlaps_overwritten", "kernel_flipped"},
}
