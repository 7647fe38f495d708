"""The classic mistakes each exercise kind of the activations deck must list and reject."""

REQUIRED: dict[str, set[str]] = {
    "leaky_relu_backward": {"relu_mask", "one_at_zero"},
    "softplus_slope": {"extra_beta", "sigmoid_derivative"},
    "collapsed_linear_map": {"order_swapped", "b1_forgotten"},
    "glu_backward": {"value_forgotten", "value_passthrough"},
    "relu_pieces": {"units_as_pieces", "all_units_right"},
}
