"""Card 6: gradient clipping in RNNs.

With ρ(W_hh) > 1 the BPTT gradient grows about ρ per time step, so one long sequence can produce
a step thousands of times larger than a short one. clip_grad_norm_ rescales all gradients
together by min(1, max_norm/(‖g‖ + 1e-6)), ‖g‖ the norm of every gradient concatenated: the
direction is kept, only the length is capped, and a gradient already below max_norm is untouched.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.sequence_models.common import grad_of, orthogonal
from app.engine import RNN, Tensor, optim

INPUT_SCALE = 1e-4  # small inputs: the state stays near tanh's linear regime


class ClippingParams(DemoParams):
    rho: float = Field(default=1.2, ge=1.1, le=1.3, description="Spectral radius of W_hh.")
    steps: int = Field(default=24, ge=16, le=30, description="Longest sequence T.")
    max_norm: float = Field(default=1.0, ge=0.5, le=5.0, description="clip_grad_norm_'s max_norm.")
    hidden: int = Field(default=4, ge=3, le=6, description="Hidden size H.")


def _joint(grads: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))


@register(
    "rnn_clipping",
    "Exploding RNN gradients and clip_grad_norm_",
    ClippingParams,
    rules=("optim.clip_grad_norm",),
)
def rnn_clipping(params: ClippingParams) -> Demo:
    """Run the demo: the gradient norm against the sequence length, then clipped by norm."""
    rng = params.rng()
    hid, longest, rho = params.hidden, params.steps, params.rho
    rnn = RNN(2, hid, seed=int(rng.integers(2**31)))
    rnn.weight_hh_l0 = Tensor(rho * orthogonal(rng, hid), requires_grad=True)
    rnn.bias_ih_l0 = Tensor(np.zeros(hid), requires_grad=True)
    rnn.bias_hh_l0 = Tensor(np.zeros(hid), requires_grad=True)
    x = INPUT_SCALE * rng.standard_normal((longest, 1, 2))
    g = rng.standard_normal((1, hid))
    norms = []
    for length in range(1, longest + 1):
        rnn.zero_grad()
        out, _ = rnn(Tensor(x[:length]))
        seed = np.zeros(out.shape)
        seed[-1] = g
        out.backward(gradient=seed)
        norms.append(_joint([grad_of(p) for p in rnn.parameters()]))
    half = longest // 2
    growth = (norms[-1] / norms[half - 1]) ** (1 / (longest - half))
    before = [grad_of(p).copy() for p in rnn.parameters()]
    returned = optim.clip_grad_norm_(rnn.parameters(), params.max_norm)
    after = [grad_of(p).copy() for p in rnn.parameters()]
    total = _joint(before)
    flat_before = np.concatenate([b.ravel() for b in before])
    flat_after = np.concatenate([a.ravel() for a in after])
    cosine = float(flat_before @ flat_after) / (total * _joint(after))
    # A gradient below the threshold is left alone.
    optim.clip_grad_norm_(rnn.parameters(), 2 * _joint(after))
    untouched = max(
        float(np.max(np.abs(grad_of(p) - a))) for p, a in zip(rnn.parameters(), after, strict=True)
    )
    expected = min(total, params.max_norm)
    checks = [
        Check.between(
            f"the gradient norm grows by about ρ = {rho:g} per extra step "
            "(per-step factor over the second half, / ρ)",
            growth / rho,
            0.9,
            1.1,
        ),
        Check.at_most(
            "clip_grad_norm_ returns the norm of all gradients concatenated (relative error)",
            abs(returned - total) / total,
            1e-12,
        ),
        Check.at_most(
            "after clipping the joint norm is min(‖g‖, max_norm) (relative error)",
            abs(_joint(after) - expected) / expected,
            1e-5,
        ),
        Check.at_most("the direction is unchanged: 1 − cos(g_before, g_after)", 1 - cosine, 1e-12),
        Check.equal(
            "a gradient already below max_norm is left exactly as it is (max change)",
            untouched,
            0.0,
        ),
    ]
    lengths: list[float | int] = list(range(1, longest + 1))
    clipped = [min(n, params.max_norm) for n in norms]
    chart = Chart(
        "Gradient norm against sequence length",
        "sequence length T",
        "‖∇θ L‖",
        [
            Series("BPTT gradient", lengths, norms),
            Series("after clip_grad_norm_", lengths, clipped),
        ],
        log_y=True,
    )
    steps = [
        Step("‖∇θ L‖ for T = 1…", np.array(norms)),
        Step("per-step growth factor", growth, r"(\|g_T\| / \|g_{T/2}\|)^{2/T}"),
        Step("‖g‖ before clipping (T longest)", total),
        Step(
            "scale applied",
            min(1.0, params.max_norm / (total + 1e-6)),
            r"\min\!\left(1, \frac{\text{max\_norm}}{\|g\| + 10^{-6}}\right)",
        ),
        Step("‖g‖ after clipping", _joint(after)),
    ]
    return Demo(
        name="rnn_clipping",
        title="Exploding RNN gradients and clip_grad_norm_",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"The gradient grew from {norms[0]:.3g} at T = 1 to {total:.3g} at T = {longest} "
            f"(×{growth:.2f} per step); clipping scaled it to {_joint(after):.3g} without "
            "turning it."
        ),
    )
