"""Engine rules the activations deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism name."""

RULES: dict[str, str] = {
    "gelu.vjp": "gelu′ = Φ(x) + x φ(x) (the tanh form's own derivative for approximate='tanh')",
    "silu.vjp": "silu′ = σ(x) (1 + x (1 − σ(x)))",
    "softplus.vjp": "softplus′ = σ(βx) on the smooth branch, 1 where βx > threshold",
    "leaky_relu.vjp": "leaky_relu′ = 1 for x > 0 and the negative slope for x ≤ 0",
    "hardtanh.vjp": "hardtanh′ = 1 strictly inside (min_val, max_val), 0 outside and at the bounds",
}
