"""The classic mistakes the optimization deck's exercise kinds must test."""

REQUIRED: dict[str, set[str]] = {
    "momentum_two_steps": {"no_momentum", "ema_momentum"},
    "adam_decay_first_step": {"swapped", "decay_without_lr"},
    "lr_stability_limit": {"one_over_lambda", "lambda_min"},
    "clip_grad_norm_by_hand": {"per_tensor", "sum_of_norms"},
}
