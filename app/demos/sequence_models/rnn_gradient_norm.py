"""Card 2: why vanilla-RNN gradients vanish or explode.

Backward through one step multiplies the gradient by J_tᵀ = W_hhᵀ diag(1 − h_t²). With W_hh = ρQ
(Q orthogonal: every singular value, and every eigenvalue's modulus, equals ρ) and tanh′ ≤ 1,
each step scales the norm by at most ρ, and by almost exactly ρ while the state is small. So the
gradient k steps back is about ρ^k times the last one: it vanishes for ρ < 1, explodes for ρ > 1.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import grad_of, orthogonal, relative_error
from app.engine import RNN, Tensor

INPUT_SCALE = 1e-6  # small inputs keep tanh near its linear regime, where tanh′ ≈ 1


class GradientNormParams(DemoParams):
    rho_small: float = Field(default=0.8, ge=0.5, le=0.95, description="Spectral radius below 1.")
    rho_large: float = Field(default=1.2, ge=1.05, le=1.3, description="Spectral radius above 1.")
    steps: int = Field(default=20, ge=10, le=30, description="Sequence length T.")
    hidden: int = Field(default=6, ge=4, le=8, description="Hidden size H.")


def _norms(
    rho: float, q: np.ndarray, rnn: RNN, x: np.ndarray, g: np.ndarray
) -> tuple[list[float], float, float]:
    """‖∂L/∂h_t‖/‖g‖ for t = 0..T−1 (L = ⟨g, h_T⟩), its worst relative error against the
    NumPy product of step Jacobians, and the measured spectral radius of W_hh."""
    rnn.weight_hh_l0 = Tensor(rho * q, requires_grad=True)
    out, _ = rnn(Tensor(x))
    states = list(out.parents)  # the stacked h_1..h_T, one node per step
    for h in states:
        h.retain_grad()
    seed = np.zeros(out.shape)
    seed[-1] = g
    out.backward(gradient=seed)
    engine = [grad_of(h) for h in states]
    # NumPy: v_{t−1} = W_hhᵀ (v_t ⊙ (1 − h_t²)), from v_T = g.
    w, hs = rho * q, out.data
    v, ref = g, [g]
    for t in range(len(states) - 1, 0, -1):
        v = (v * (1 - hs[t] ** 2)) @ w
        ref.append(v)
    ref.reverse()
    error = max(relative_error(e, r) for e, r in zip(engine, ref, strict=True))
    size = float(np.linalg.norm(g))
    radius = float(np.max(np.abs(np.linalg.eigvals(w))))
    return [float(np.linalg.norm(e)) / size for e in engine], error, radius


@register(
    "rnn_gradient_norm",
    "Vanishing and exploding RNN gradients: the spectral radius of W_hh",
    GradientNormParams,
    rules=("rnn_cell.forward", "tanh.vjp"),
)
def rnn_gradient_norm(params: GradientNormParams) -> Demo:
    """Run the demo: the same RNN with W_hh = ρQ for ρ below and above 1."""
    rng = params.rng()
    hid, length = params.hidden, params.steps
    rnn = RNN(3, hid, seed=int(rng.integers(2**31)))
    rnn.bias_ih_l0 = Tensor(np.zeros(hid), requires_grad=True)
    rnn.bias_hh_l0 = Tensor(np.zeros(hid), requires_grad=True)
    q = orthogonal(rng, hid)
    x = INPUT_SCALE * rng.standard_normal((length, 1, 3))
    g = rng.standard_normal((1, hid))
    small, err_small, radius_small = _norms(params.rho_small, q, rnn, x, g)
    large, err_large, radius_large = _norms(params.rho_large, q, rnn, x, g)
    back = length - 1
    factor_small = small[0] ** (1 / back)
    factor_large = large[0] ** (1 / back)
    rs, rl = params.rho_small, params.rho_large
    checks = [
        Check.at_most(
            "the measured spectral radius max|λ(W_hh)| is ρ for both matrices (abs. error)",
            max(abs(radius_small - rs), abs(radius_large - rl)),
            1e-9,
        ),
        Check.at_most(
            "the engine's ∂L/∂h_t equal the product of step Jacobians W_hhᵀ diag(1 − h_t²) "
            "(relative error, worst step)",
            max(err_small, err_large),
            1e-10,
        ),
        Check.between(
            f"ρ = {rs:g}: the norm shrinks by a factor per step in [0.98ρ, ρ] (geometric mean)",
            factor_small / rs,
            0.98,
            1 + 1e-9,
        ),
        Check.between(
            f"ρ = {rl:g}: the norm grows by a factor per step in [0.98ρ, ρ] (geometric mean)",
            factor_large / rl,
            0.98,
            1 + 1e-9,
        ),
        Check.at_most(
            f"ρ = {rs:g}: after {back} steps the gradient is below ρ^{back} of the last one "
            "(ratio to the bound)",
            small[0] / rs**back,
            1 + 1e-9,
        ),
    ]
    steps_back: list[float | int] = list(range(back, -1, -1))
    chart = Chart(
        "Gradient norm k steps back from the loss",
        "steps back k = T − t",
        "‖∂L/∂h_t‖ / ‖∂L/∂h_T‖",
        [Series(f"ρ = {rs:g}", steps_back, small), Series(f"ρ = {rl:g}", steps_back, large)],
        log_y=True,
    )
    steps = [
        Step("ρ (spectral radius of W_hh = ρQ)", np.array([rs, rl])),
        Step("‖∂L/∂h_t‖ / ‖g‖, ρ small", np.array(small), note="from h_1 (left) to h_T"),
        Step("‖∂L/∂h_t‖ / ‖g‖, ρ large", np.array(large)),
        Step(
            "per-step factor (ρ small, ρ large)",
            np.array([factor_small, factor_large]),
            r"\left(\|\partial L/\partial h_1\| / \|\partial L/\partial h_T\|\right)^{1/(T-1)}",
        ),
    ]
    return Demo(
        name="rnn_gradient_norm",
        title="Vanishing and exploding RNN gradients: the spectral radius of W_hh",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"{back} steps back the gradient norm is {small[0]:.2g}× the last step's with "
            f"ρ = {rs:g} and {large[0]:.3g}× with ρ = {rl:g}: about ρ per step, as the step "
            "Jacobian W_hhᵀ diag(1 − h²) predicts."
        ),
    )
