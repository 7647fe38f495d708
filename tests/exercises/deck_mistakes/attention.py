"""The classic mistakes the attention deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {
    "causal_attention_weights": {"no_mask", "zeroed_after_softmax", "mask_transposed"},
    "mha_param_count": {"per_head_full_matrices", "biases_forgotten"},
    "kv_cache_bytes": {"k_only", "query_heads", "one_layer"},
    "training_flops_6nd": {"forward_only", "multiply_adds", "backward_like_forward"},
}
