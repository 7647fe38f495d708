"""Engine rules the regularization deck's demos rest on: "<op>.vjp", "<op>.jvp" or a mechanism."""

RULES: dict[str, str] = {
    "dropout.vjp": "dropout's gradient: g times the forward's own mask, its 1/(1 − p) included",
    "dropout.scaling": (
        "training-mode dropout keeps each entry with probability 1 − p and scales it by 1/(1 − p)"
    ),
    "dropout.eval_identity": "dropout with training=False (a module in eval()) returns its input",
    "optim.weight_decay_l2": (
        "SGD's and Adam's weight_decay=λ add λθ to the gradient: the gradient of (λ/2)‖θ‖²"
    ),
    "optim.decoupled_decay": (
        "AdamW multiplies θ by (1 − γλ) before its Adam step, outside the moments"
    ),
}
