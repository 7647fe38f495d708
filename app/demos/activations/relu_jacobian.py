"""Card 15: the Jacobian of a ReLU layer is a 0/1 diagonal (a projection), so an active path
passes the gradient unchanged however deep; a sigmoid layer's diagonal is at most 1/4."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, relative_difference, stable_sigmoid
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import Tensor, jacobian, relu, sigmoid


class ReluJacobianParams(DemoParams):
    n: int = Field(default=5, ge=2, le=8, description="Units in the layer.")
    depth: int = Field(default=10, ge=2, le=30, description="Scalar units chained.")


@register(
    "relu_jacobian",
    "ReLU vs sigmoid: the layer's Jacobian",
    ReluJacobianParams,
    rules=("relu.vjp", "sigmoid.vjp"),
)
def relu_jacobian(params: ReluJacobianParams) -> Demo:
    """Run the demo: ReLU vs sigmoid: the layer's Jacobian."""
    rng = params.rng()
    z = np.round(rng.uniform(-3, 3, params.n), 2)
    z[z == 0] = 0.5
    j_relu = jacobian(lambda v: relu(v), z).matrix
    j_sig = jacobian(lambda v: sigmoid(v), z).matrix
    s = stable_sigmoid(z)
    x0 = float(np.round(rng.uniform(0.5, 2.0), 2))
    d_relu_chain = float(engine_grad(lambda t: _chain(t, relu, params.depth), np.array([x0]))[0])
    d_sig_chain = float(engine_grad(lambda t: _chain(t, sigmoid, params.depth), np.array([x0]))[0])
    # The same chains with a weight per layer, h_ℓ = f(w_ℓ h_(ℓ−1)): for ReLU, positive weights keep
    # the path active and d/dx = Π w_ℓ, so the activations contribute exactly 1 per layer; for
    # sigmoid, d/dx = Π w_ℓ σ′(w_ℓ h_(ℓ−1)), at most Π |w_ℓ| · 4^−L.
    w_relu = np.round(rng.uniform(0.5, 1.5, params.depth), 2)
    w_sig = np.round(rng.uniform(0.5, 2.0, params.depth) * rng.choice([-1.0, 1.0], params.depth), 2)
    d_relu_w = float(engine_grad(lambda t: _weighted(t, relu, w_relu), np.array([x0]))[0])
    d_sig_w = float(engine_grad(lambda t: _weighted(t, sigmoid, w_sig), np.array([x0]))[0])
    value, sig_hand = x0, 1.0
    for w in w_sig:
        out = float(stable_sigmoid(np.array(w * value)))
        sig_hand *= w * out * (1 - out)
        value = out
    checks = [
        Check.at_most(
            "ReLU layer: the engine's Jacobian is diag([z > 0]) (largest difference)",
            relative_difference(j_relu, np.diag((z > 0).astype(float))),
            0.0,
        ),
        Check.at_most(
            "it is a projection: J² = J (largest difference)",
            float(np.abs(j_relu @ j_relu - j_relu).max()),
            0.0,
        ),
        Check.at_most(
            "sigmoid layer: the engine's Jacobian is diag(σ(1 − σ)) (relative)",
            relative_difference(j_sig, np.diag(s * (1 - s))),
            1e-12,
        ),
        Check.at_most("and no entry exceeds 1/4 (largest entry)", float(j_sig.max()), 0.25),
        Check.at_most(
            f"{params.depth} ReLUs on an active path (no weights): d/dx is exactly 1 (|d/dx − 1|)",
            abs(d_relu_chain - 1.0),
            0.0,
        ),
        Check.at_most(
            f"{params.depth} sigmoids (no weights): d/dx ≤ 4^−{params.depth} (gradient / bound)",
            d_sig_chain / 0.25**params.depth,
            1.0,
        ),
        Check.at_most(
            f"{params.depth} weighted ReLU layers, weights > 0: d/dx = Π w_ℓ, each ReLU a factor "
            "of exactly 1 (relative)",
            relative_difference(d_relu_w, float(np.prod(w_relu))),
            1e-12,
        ),
        Check.at_most(
            f"{params.depth} weighted sigmoid layers: d/dx = Π w_ℓ σ′(w_ℓ h_(ℓ−1)) (relative)",
            relative_difference(d_sig_w, sig_hand),
            1e-10,
        ),
        Check.at_most(
            f"and |d/dx| ≤ Π |w_ℓ| · 4^−{params.depth} (|gradient| / bound)",
            abs(d_sig_w) / (float(np.prod(np.abs(w_sig))) * 0.25**params.depth),
            1.0,
        ),
    ]
    steps = [
        Step("z", z),
        Step("Jacobian of ReLU at z", j_relu, r"J = \operatorname{diag}([z > 0])"),
        Step("Jacobian of σ at z", j_sig, r"J = \operatorname{diag}(\sigma(z)(1-\sigma(z)))"),
        Step(f"d/dx through {params.depth} ReLUs at x = {x0:g}", d_relu_chain),
        Step(f"d/dx through {params.depth} sigmoids at x = {x0:g}", d_sig_chain),
        Step("ReLU layer weights w_ℓ", w_relu),
        Step(f"d/dx through {params.depth} weighted ReLUs", d_relu_w, r"\prod_\ell w_\ell"),
        Step("sigmoid layer weights w_ℓ", w_sig),
        Step(
            f"d/dx through {params.depth} weighted sigmoids",
            d_sig_w,
            r"\prod_\ell w_\ell\,\sigma'(w_\ell h_{\ell-1})",
        ),
    ]
    return Demo(
        name="relu_jacobian",
        title="ReLU vs sigmoid: the layer's Jacobian",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"{int((z > 0).sum())} of {params.n} units are active and pass the gradient "
            "with factor "
            f"1; through {params.depth} sigmoids the gradient is {d_sig_chain:.2e}."
        ),
    )


def _weighted(x: Tensor, fn: Callable[[Tensor], Tensor], weights: np.ndarray) -> Tensor:
    """h_ℓ = fn(w_ℓ h_(ℓ−1)) for each weight in turn."""
    for w in weights:
        x = fn(x * float(w))
    return x


def _chain(x: Tensor, fn: Callable[[Tensor], Tensor], depth: int) -> Tensor:
    """fn applied `depth` times."""
    for _ in range(depth):
        x = fn(x)
    return x
