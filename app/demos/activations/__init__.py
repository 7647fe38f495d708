"""The activations deck's demos: each module registers one on import."""

from app.demos.activations import (  # noqa: F401  (they register)
    activation_gain,
    dead_relu,
    fake_quant_ste,
    gelu_silu,
    kink_subgradients,
    linear_collapse,
    output_activations,
    relu_jacobian,
    relu_regions,
    saturation,
    sigmoid_tanh_slopes,
    softplus_sigmoid,
    stable_logsigmoid,
    swiglu_gate,
    zero_centred,
)
