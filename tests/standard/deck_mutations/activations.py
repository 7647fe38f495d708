"""Deliberate engine bugs for the rules the activations deck's demos rest on."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine import activations
from tests.standard.mutation_kit import Mutation, vjp_mutations, wrong_rule


def _data(value: Any) -> Any:
    return value.data if hasattr(value, "data") and not isinstance(value, np.ndarray) else value


def _gelu_cdf_only(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """gelu′ = Φ(x): the product rule's x φ(x) term forgotten."""
    return (g * (0.5 * (1.0 + activations._erf(xs[0] * activations.INV_SQRT2))),)


def _silu_sigmoid_only(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """silu′ = σ(x): the x σ′(x) term forgotten."""
    return (g * activations._sigmoid(xs[0]),)


def _softplus_sign_slip(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """softplus′ = σ(−βx): the sign inside the sigmoid flipped."""
    beta, mask = ctx
    return (g * (mask * activations._sigmoid(xs[0] * (-beta)) + (1.0 - mask)),)


def _softplus_extra_beta(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    """softplus′ = β σ(βx): the chain rule's β kept although softplus divides by β."""
    beta, _mask = ctx
    return (original(g, xs, out, ctx, need)[0] * beta,)


def _leaky_as_relu(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """The negative side blocked, as in relu: the leak forgotten."""
    return (g * (np.asarray(_data(xs[0])) > 0),)


def _leaky_one_at_zero(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """Slope 1 at x = 0 (mask x ≥ 0 instead of x > 0)."""
    x = np.asarray(_data(xs[0]))
    return (g * np.where(x == 0, 1.0, ctx),)


def _hardtanh_passes_at_bounds(
    original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple
) -> tuple:
    """The gradient kept on the bounds themselves (clamp's convention, not hardtanh's)."""
    x, y = np.asarray(_data(xs[0])), np.asarray(_data(out))
    return (g * np.where((ctx == 0) & (x == y), 1.0, ctx),)


def _hardtanh_no_mask(original: Any, g: Any, xs: tuple, out: Any, ctx: Any, need: tuple) -> tuple:
    """No mask: the gradient passes where the value was clipped too."""
    return (g * 1.0,)


MUTATIONS: list[Mutation] = [
    *vjp_mutations("gelu", activations, "gelu_vjp", 1),
    Mutation(
        "gelu.vjp",
        "gelu′ = Φ(x), the x φ(x) term dropped",
        wrong_rule(activations, "gelu_vjp", _gelu_cdf_only),
    ),
    *vjp_mutations("silu", activations, "silu_vjp", 1),
    Mutation(
        "silu.vjp",
        "silu′ = σ(x), the x σ′(x) term dropped",
        wrong_rule(activations, "silu_vjp", _silu_sigmoid_only),
    ),
    *vjp_mutations("softplus", activations, "softplus_vjp", 1),
    Mutation(
        "softplus.vjp",
        "softplus′ = σ(−βx)",
        wrong_rule(activations, "softplus_vjp", _softplus_sign_slip),
    ),
    Mutation(
        "softplus.vjp",
        "softplus′ = β σ(βx)",
        wrong_rule(activations, "softplus_vjp", _softplus_extra_beta),
    ),
    *vjp_mutations("leaky_relu", activations, "leaky_relu_vjp", 1),
    Mutation(
        "leaky_relu.vjp",
        "negative side blocked as in relu",
        wrong_rule(activations, "leaky_relu_vjp", _leaky_as_relu),
    ),
    Mutation(
        "leaky_relu.vjp",
        "slope 1 at x = 0",
        wrong_rule(activations, "leaky_relu_vjp", _leaky_one_at_zero),
    ),
    *vjp_mutations("hardtanh", activations, "hardtanh_vjp", 1),
    Mutation(
        "hardtanh.vjp",
        "gradient passes at the bounds",
        wrong_rule(activations, "hardtanh_vjp", _hardtanh_passes_at_bounds),
    ),
    Mutation(
        "hardtanh.vjp",
        "no mask: gradient passes everywhere",
        wrong_rule(activations, "hardtanh_vjp", _hardtanh_no_mask),
    ),
]
