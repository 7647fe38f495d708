"""InfoNCE: cross-entropy over similarity logits S = U Vᵀ/τ (anchors U, positives V) with the
positives on the diagonal. Its gradient is (P − I)V/(τB), and a smaller τ puts more of the
negatives' weight, read off the engine's ∂L/∂S, on the hardest negative."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.losses.common import gradient_check, quiet_floats, softmax_rows
from app.demos.registry import register
from app.engine import Tensor
from app.engine import losses as L

TEMPERATURES = (1.0, 0.5, 0.2, 0.1, 0.05)


class InfoNceParams(DemoParams):
    batch: int = Field(
        default=6, ge=3, le=16, description="Pairs B (one positive, B − 1 negatives)."
    )
    dim: int = Field(default=8, ge=2, le=16, description="Embedding dimension.")
    temperature: float = Field(default=0.1, ge=0.05, le=1.0, description="Temperature τ.")


def unit_rows(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True))


def info_nce(q: Tensor, k: Tensor, tau: float) -> Tensor:
    """Mean over anchors of −log softmax(q_i Kᵀ/τ)_i."""
    logits = (q @ k.T) * (1 / tau)
    return L.cross_entropy(logits, np.arange(q.shape[0]))


def hardest_share(q: np.ndarray, k: np.ndarray, tau: float) -> np.ndarray:
    """Per anchor: the hardest negative's share of the push on the negatives, read off the
    engine's gradient ∂L/∂S = (P − I)/B, whose off-diagonal entries are the weights P_ij/B."""
    s = Tensor(q @ k.T / tau, requires_grad=True)
    L.cross_entropy(s, np.arange(len(q))).backward()
    assert s.grad is not None
    negatives = s.grad * (1 - np.eye(len(q)))
    return np.asarray(negatives.max(axis=1) / negatives.sum(axis=1))


@register(
    "infonce",
    "InfoNCE and its temperature",
    InfoNceParams,
    rules=("matmul.vjp", "log_softmax.vjp"),
)
@quiet_floats
def infonce(params: InfoNceParams) -> Demo:
    """Run the demo: InfoNCE's gradient, and what τ does to the weight on hard negatives."""
    rng = params.rng()
    B, D, tau = params.batch, params.dim, params.temperature
    q_data = unit_rows(rng.normal(size=(B, D)))
    k_data = unit_rows(q_data + 0.6 * rng.normal(size=(B, D)))  # positives: noisy copies
    q, k = Tensor(q_data, requires_grad=True), Tensor(k_data, requires_grad=True)
    loss = info_nce(q, k, tau)
    loss.backward()
    assert q.grad is not None and k.grad is not None
    p = softmax_rows(q_data @ k_data.T / tau)
    eye = np.eye(B)
    dq = (p - eye) @ k_data / (tau * B)
    dk = (p - eye).T @ q_data / (tau * B)
    shares = np.array([hardest_share(q_data, k_data, t) for t in TEMPERATURES])
    not_rising = int(np.sum(np.diff(shares, axis=0) < -1e-12))
    checks = [
        Check.at_most(
            "engine's ∂L/∂U equals (P − I)V/(τB) (largest error, in units of 1/(τB))",
            float(np.max(np.abs(q.grad - dq))) * tau * B,
            1e-12,
        ),
        Check.at_most(
            "engine's ∂L/∂V equals (P − I)ᵀU/(τB) (largest error, in units of 1/(τB))",
            float(np.max(np.abs(k.grad - dk))) * tau * B,
            1e-12,
        ),
        Check.equal(
            "as τ falls from 1 to 0.05 every anchor's hardest-negative share of the push, read "
            "off the engine's ∂L/∂S, rises (drops seen)",
            not_rising,
            0,
        ),
        Check.at_least(
            "at τ = 0.05 the hardest negative holds more of the weight than at τ = 1 "
            "(mean share gain)",
            float(shares[-1].mean() - shares[0].mean()),
            0.05,
        ),
        gradient_check(
            "analytic ∂L/∂U and ∂L/∂V equal central differences",
            lambda a, b: info_nce(a, b, tau),
            [q_data[:3], k_data[:3]],
            ["∂L/∂U", "∂L/∂V"],
        ),
    ]
    steps = [
        Step("U (anchors, unit rows)", q_data, r"U \in \mathbb{R}^{B\times D}"),
        Step("V (positives, unit rows)", k_data, r"V \in \mathbb{R}^{B\times D}"),
        Step(
            "S = UVᵀ/τ",
            q_data @ k_data.T / tau,
            r"S_{ij} = u_i\cdot v_j/\tau",
            "positives on the diagonal",
        ),
        Step(
            "L (InfoNCE)",
            float(loss.item()),
            r"L = -\tfrac1B\sum_i \log \frac{e^{S_{ii}}}{\sum_j e^{S_{ij}}}",
        ),
        Step("∂L/∂U", q.grad, r"\frac{(P - I)V}{\tau B}"),
        Step("mean hardest-negative share per τ", shares.mean(axis=1), note=f"τ = {TEMPERATURES}"),
    ]
    return Demo(
        name="infonce",
        title="InfoNCE and its temperature",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[
            Chart(
                "Hardest negative's share of the negatives' weight",
                "temperature τ",
                "share (mean over anchors)",
                [Series("share", list(TEMPERATURES), shares.mean(axis=1).tolist())],
                y_from_zero=True,
            )
        ],
        summary=(
            f"With B = {B} and τ = {tau:g}, InfoNCE is {float(loss.item()):.3f} (log B = "
            f"{np.log(B):.3f}); the hardest negative's share goes from {shares[0].mean():.2f} at "
            f"τ = 1 to {shares[-1].mean():.2f} at τ = 0.05."
        ),
    )
