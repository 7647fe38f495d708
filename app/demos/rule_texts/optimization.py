"""Engine rules the optimization deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism."""

RULES: dict[str, str] = {
    "optim.sgd_step": "SGD without momentum: θ ← θ − γ(g + λθ)",
    "optim.sgd_momentum": (
        "SGD momentum: b ← g on the first step, then b ← μb + (1 − τ)g; θ ← θ − γb"
    ),
    "optim.sgd_nesterov": "SGD with nesterov=True steps along g + μb instead of b",
    "optim.adam_moments": "Adam's moments: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²",
    "optim.adam_bias_correction": (
        "Adam's step: m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), θ ← θ − γ m̂/(√v̂ + ε), ε outside the root"
    ),
    "optim.adam_weight_decay": (
        "Adam adds λθ to g before the moments; AdamW multiplies θ by (1 − γλ) before the step"
    ),
    "optim.rmsprop": "RMSprop: v ← αv + (1 − α)g², θ ← θ − γ g/(√v + ε), no bias correction",
    "optim.adagrad": (
        "Adagrad: s ← s + g² (s₀ = initial_accumulator_value), "
        "θ ← θ − γ/(1 + (t − 1)η) · g/(√s + ε)"
    ),
    "optim.skip_none_grad": (
        "step() skips a parameter whose .grad is None: no update, no decay, no state change"
    ),
    "optim.clip_grad_norm": (
        "clip_grad_norm_ scales every gradient by min(1, max_norm/(‖g‖ + 1e-6)), ‖g‖ over all"
    ),
    "optim.clip_grad_value": "clip_grad_value_ clamps each gradient entry into [−c, c]",
    "lr_scheduler.step": "StepLR: lr = base_lr · γ^⌊epoch/step_size⌋",
    "lr_scheduler.cosine": (
        "CosineAnnealingLR: lr = η_min + (base_lr − η_min)(1 + cos(π·epoch/T_max))/2"
    ),
    "lr_scheduler.linear": "LinearLR: lr = base_lr · (s + (e − s)·min(epoch, T)/T)",
    "lr_scheduler.lambda": "LambdaLR: lr = base_lr · lr_lambda(epoch)",
}
