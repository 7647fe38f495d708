"""Engine rules the cnn deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism."""

RULES: dict[str, str] = {
    "conv2d.forward": (
        "conv2d is a cross-correlation: out = b + Σ W[o, c, p, q]·x_pad[c, i·s + p·d, j·s + q·d]"
    ),
    "conv2d.output_size": (
        "a convolution or pooling window count is floor((H + 2p − d(k − 1) − 1)/s) + 1 per dim"
    ),
    "conv2d.vjp": (
        "conv2d's gradients: dX = conv_transpose2d(g, W), dW = Σ_n g·unfold(x)ᵀ, db = Σ g over "
        "N, H_out, W_out"
    ),
    "conv2d.flops": (
        "conv2d charges N·C_out·H_out·W_out·(C_in/groups)·kH·kW multiply-adds (+1 per output for "
        "a bias)"
    ),
    "conv_transpose2d.forward": (
        "conv_transpose2d adds each input pixel times W into its window of the output: the "
        "adjoint of conv2d in x"
    ),
    "max_pool2d.vjp": (
        "max_pool2d sends each output's gradient to its window's maximum, the first one in "
        "row-major order when tied"
    ),
}
