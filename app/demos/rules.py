"""The engine rules a demo's claim can rest on.

Every demo names the rules its checks depend on. The test suite (tests/standard) breaks each
named rule on purpose, in several ways, and requires the demo to report a failed check: a demo
that stays green while the rule behind its claim is wrong proves nothing. The names are shown on
card pages too, so a reader sees what a demo's evidence is evidence of.
"""

from __future__ import annotations

from app.demos.rule_texts import (
    activations,
    attention,
    cnn,
    init_norm,
    losses,
    optimization,
    regularization,
    sequence_models,
    training_at_scale,
)

# Gradient rules (reverse mode) of the ops, by op name: "<op>.vjp".
_VJP_RULES = {
    "add": "add's gradient: g to both inputs, summed over broadcast axes",
    "mul": "mul's gradient: g·b to a and g·a to b",
    "pow": "pow's gradient: g·b·a^(b−1)",
    "matmul": "matmul's gradient: G Bᵀ to A and Aᵀ G to B",
    "linear": "linear's gradient: dX = G W, dW = Gᵀ X, db = Σ G over the batch",
    "tanh": "tanh′ = 1 − tanh²",
    "sigmoid": "σ′ = σ(1 − σ)",
    "relu": "relu′ = the mask z > 0 (0 at z = 0 by default)",
    "sum": "sum's gradient: g copied to every summed entry",
    "mean": "mean's gradient: g/n to every entry",
    "softmax": "softmax's gradient: p ⊙ (g − Σ p g)",
    "log_softmax": "log_softmax's gradient: g − p Σ g",
    "mse_loss": "mse's gradient: 2(p − t)/n",
}

# Tangent rules (forward mode) of the ops: "<op>.jvp".
_JVP_RULES = {
    "add": "add's tangent: ta + tb",
    "mul": "mul's tangent: ta·b + a·tb",
    "pow": "pow's tangent: ta·b·a^(b−1)",
    "matmul": "matmul's tangent: tA B + A tB",
    "tanh": "tanh's tangent: t·(1 − tanh²)",
    "sigmoid": "sigmoid's tangent: t·σ(1 − σ)",
    "sum": "sum's tangent: the sum of the tangent",
}

# How backward itself works, and what the counters and checkpointing measure.
_MECHANISM_RULES = {
    "autograd.fan_out": "a tensor used twice gets the sum of both consumers' gradients",
    "autograd.order": "backward visits each node after every node that consumes it",
    "autograd.accumulate": "backward adds into .grad rather than overwriting it",
    "autograd.free": "backward frees saved buffers, so a second backward is refused",
    "autograd.need": "no rule computes a gradient that no input needs",
    "counters.flops": "FLOPs are counted per op and charged to the phase that ran them",
    "counters.saved": "saved bytes are the buffers kept for backward, each counted once",
    "checkpoint.recompute": "a checkpointed segment keeps no intermediates and replays in backward",
}


def _merged(*tables: dict[str, str]) -> dict[str, str]:
    """One table from several; a name two decks define differently is a mistake, not an override."""
    merged: dict[str, str] = {}
    for table in tables:
        for name, text in table.items():
            if merged.setdefault(name, text) != text:
                raise ValueError(f"engine rule {name!r} is described twice, differently")
    return merged


RULES: dict[str, str] = _merged(
    {f"{op}.vjp": text for op, text in _VJP_RULES.items()},
    {f"{op}.jvp": text for op, text in _JVP_RULES.items()},
    _MECHANISM_RULES,
    activations.RULES,
    init_norm.RULES,
    losses.RULES,
    optimization.RULES,
    regularization.RULES,
    cnn.RULES,
    sequence_models.RULES,
    attention.RULES,
    training_at_scale.RULES,
)


def unknown_rules(names: tuple[str, ...]) -> list[str]:
    """The names that are not engine rules (a demo declaring one is a registration error)."""
    return [name for name in names if name not in RULES]
