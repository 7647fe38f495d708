"""Card 6: backprop through softmax attention, O = softmax(Q Kᵀ·c) V with c = 1/√d.

dV = Pᵀ G, dP = G Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = c·dS K, dK = c·dSᵀ Q. The engine's
gradients (matmul, mul and softmax rules chained by autograd) are compared with these formulas
and with central differences.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.attention.common import (
    EXACT,
    FD_TOL,
    directional_error,
    grad_of,
    reference_attention,
    relative_error,
)
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.engine import Tensor, no_grad, scaled_dot_product_attention


class AttentionBackwardParams(DemoParams):
    queries: int = Field(default=3, ge=2, le=6, description="Queries L.")
    keys: int = Field(default=4, ge=2, le=6, description="Keys S.")
    dim: int = Field(default=3, ge=2, le=6, description="Query/key size d.")
    value_dim: int = Field(default=2, ge=1, le=4, description="Value size d_v.")


def loss_of(q: np.ndarray, k: np.ndarray, v: np.ndarray, g: np.ndarray) -> float:
    """L = Σ G ⊙ O computed by the engine without recording."""
    with no_grad():
        out = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v)).data
    return float(np.sum(g * out))


@register(
    "attention_backward",
    "Backprop through softmax attention",
    AttentionBackwardParams,
    rules=("matmul.vjp", "softmax.vjp", "mul.vjp"),
)
def attention_backward(params: AttentionBackwardParams) -> Demo:
    """Run the demo: the engine's dQ, dK, dV against the hand formulas and finite differences."""
    rng = params.rng()
    n_q, n_k, d, dv = params.queries, params.keys, params.dim, params.value_dim
    q, k = rng.standard_normal((n_q, d)), rng.standard_normal((n_k, d))
    v = rng.standard_normal((n_k, dv))
    g = rng.standard_normal((n_q, dv))
    qt, kt, vt = (Tensor(a, requires_grad=True) for a in (q, k, v))
    out = scaled_dot_product_attention(qt, kt, vt)
    out.backward(gradient=g)
    c = 1 / np.sqrt(d)
    _, p = reference_attention(q, k, v)
    hand_dv = p.T @ g
    dp = g @ v.T
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    hand_dq, hand_dk = c * ds @ k, c * ds.T @ q
    engine = {"dQ": grad_of(qt), "dK": grad_of(kt), "dV": grad_of(vt)}
    hand = {"dQ": hand_dq, "dK": hand_dk, "dV": hand_dv}
    # Central differences along one direction per input (float64).
    worst = 0.0
    for index, name in enumerate(("dQ", "dK", "dV")):

        def f(z: np.ndarray, index: int = index) -> float:
            args = [q, k, v]
            args[index] = z
            return loss_of(args[0], args[1], args[2], g)

        worst = max(worst, directional_error(f, (q, k, v)[index], engine[name], rng))
    checks = [
        Check.at_most(
            f"{name} from the engine equals {formula} (relative error)",
            relative_error(engine[name], hand[name]),
            EXACT,
        )
        for name, formula in (
            ("dV", "Pᵀ G"),
            ("dQ", "c·dS K with dS = P ⊙ (dP − rowsum(dP ⊙ P))"),
            ("dK", "c·dSᵀ Q"),
        )
    ]
    checks += [
        Check.at_most(
            "each row of dS sums to 0 (softmax ignores a shift of its scores)",
            float(np.max(np.abs(ds.sum(axis=-1)))) / (float(np.max(np.abs(ds))) or 1.0),
            EXACT,
        ),
        Check.at_most(
            "the engine's gradients match central differences (worst relative error)",
            worst,
            FD_TOL,
        ),
    ]
    steps = [
        Step("P = softmax(QKᵀ/√d)", p, r"P \in \mathbb{R}^{L\times S}"),
        Step("G = ∂L/∂O", g, r"G \in \mathbb{R}^{L\times d_v}"),
        Step("dV = PᵀG", hand_dv, r"\mathbb{R}^{S\times d_v}"),
        Step("dP = G Vᵀ", dp, r"\mathbb{R}^{L\times S}"),
        Step("dS = P ⊙ (dP − rowsum(dP ⊙ P))", ds),
        Step("dQ = dS K / √d", hand_dq, r"\mathbb{R}^{L\times d}"),
        Step("dK = dSᵀ Q / √d", hand_dk, r"\mathbb{R}^{S\times d}"),
        Step("engine dQ", engine["dQ"]),
    ]
    return Demo(
        name="attention_backward",
        title="Backprop through softmax attention",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"For {n_q} queries over {n_k} keys the engine's dQ, dK and dV equal the four-line "
            "hand derivation (dV = PᵀG, dP = GVᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS K/√d, "
            f"dK = dSᵀQ/√d) to rounding, and central differences agree to {worst:.1e}."
        ),
    )
