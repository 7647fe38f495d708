"""Engine rules the init_norm deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism name."""

RULES: dict[str, str] = {
    "init.xavier_std": "xavier_normal_ draws N(0, gain²·2/(fan_in + fan_out))",
    "init.kaiming_std": "kaiming_normal_ draws N(0, gain²/fan), gain √2 for relu",
    "init.orthogonal": "orthogonal_ returns a matrix with orthonormal rows or columns, times gain",
    "batch_norm.vjp": "batch norm's dx = γ/σ·(g − mean g − x̂·mean(g x̂)), dγ = Σ g x̂, dβ = Σ g",
    "batch_norm.running_stats": (
        "training updates running = (1 − momentum)·running + momentum·batch, unbiased variance"
    ),
    "layer_norm.vjp": "layer norm's dx: the batch-norm formula over each example's features",
    "rms_norm.vjp": "RMS norm's dx = γ/rms·(g − x̂·mean(g x̂)): no mean term",
    "group_norm.vjp": "group norm's dx: the batch-norm formula over each example's group",
}
