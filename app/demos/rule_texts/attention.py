"""Engine rules the attention deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism."""

RULES: dict[str, str] = {
    "attention.scale": (
        "scaled_dot_product_attention and MultiheadAttention multiply the scores Q Kᵀ by "
        "1/√E (E the query's last dim, head_dim in a multi-head layer) unless scale is given"
    ),
    "attention.causal_mask": (
        "is_causal lets query i attend to keys 0..i: -inf is added above the diagonal before "
        "the softmax, so future keys get weight exactly 0"
    ),
    "attention.mask_convention": (
        "a boolean mask means 'may attend where True' in scaled_dot_product_attention and "
        "'blocked where True' in MultiheadAttention (attn_mask, key_padding_mask)"
    ),
    "attention.heads": (
        "MultiheadAttention splits E into num_heads slices of E/num_heads features (in_proj "
        "rows q, k, v), attends in each slice, concatenates the heads and applies out_proj"
    ),
    "attention.dropout": (
        "attention dropout zeroes each weight of softmax(scores) with probability p and scales "
        "the kept ones by 1/(1 − p); a MultiheadAttention in eval() drops nothing"
    ),
    "rotary.rotation": (
        "apply_rotary turns feature pair (j, j + D/2) at position p by the angle "
        "p·base^(−2j/D): a rotation, so q_m·k_n depends on m − n only"
    ),
    "layer_norm.forward": (
        "layer norm's output is (x − μ)/√(σ² + ε)·γ + β with μ and the biased σ² taken over "
        "each token's normalised features"
    ),
    "counters.matmul_flops": (
        "matmul charges one multiply-add per output entry per summed index, linear the same "
        "plus one add per output for the bias"
    ),
}
