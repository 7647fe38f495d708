"""PyTorch's kl_div(input, target): input is log q, target is p, the result Σ p (log p − log q) is
KL(p‖q); 'batchmean' divides by the batch size and is the true KL, 'mean' divides by every
element (K times smaller). Its gradient with respect to the student's logits is (q − p)/B."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats, softmax_rows
from app.demos.registry import register
from app.engine import Tensor, log_softmax
from app.engine import losses as L


class KlDivParams(DemoParams):
    batch: int = Field(default=4, ge=1, le=8, description="Examples B.")
    classes: int = Field(default=5, ge=2, le=8, description="Classes K.")
    temperature: float = Field(default=2.0, ge=1.0, le=8.0, description="Distillation T.")


def kl(student: Tensor, p: np.ndarray, reduction: str = "batchmean") -> Tensor:
    return L.kl_div(log_softmax(student, axis=-1), p, reduction=reduction)


@register(
    "kl_div_conventions",
    "kl_div's argument order and 'batchmean'",
    KlDivParams,
    rules=("log_softmax.vjp", "losses.kl_batchmean"),
)
@quiet_floats
def kl_div_conventions(params: KlDivParams) -> Demo:
    """Run the demo: kl_div against KL computed by hand, and the distillation gradient."""
    rng = params.rng()
    B, K, T = params.batch, params.classes, params.temperature
    s_data = np.round(rng.normal(0.0, 1.5, (B, K)), 2)  # student logits
    t_logits = np.round(rng.normal(0.0, 1.5, (B, K)), 2)  # teacher logits
    # Row 1: a confident teacher and a flat student, so the two directions of KL surely differ.
    s_data[0], t_logits[0] = 0.0, np.where(np.arange(K) == 0, 3.0, 0.0)
    p = softmax_rows(t_logits)
    q = softmax_rows(s_data)
    by_hand = float(np.sum(p * (np.log(p) - np.log(q))) / B)
    reverse = float(np.sum(q * (np.log(q) - np.log(p))) / B)
    s = Tensor(s_data, requires_grad=True)
    batchmean = kl(s, p)
    batchmean.backward()
    assert s.grad is not None
    mean = float(kl(Tensor(s_data), p, "mean").item())
    ce = Tensor(s_data, requires_grad=True)
    L.cross_entropy(ce, p).backward()
    assert ce.grad is not None
    # Distillation at temperature T: gradient (q_T − p_T)/(T·B), hence the customary T² factor.
    st = Tensor(s_data, requires_grad=True)
    pT, qT = softmax_rows(t_logits / T), softmax_rows(s_data / T)
    kl(st * (1 / T), pT).backward()
    assert st.grad is not None
    checks = [
        Check.at_most(
            "kl_div(log q, p, 'batchmean') equals Σ p (log p − log q) / B = KL(p‖q)",
            abs(float(batchmean.item()) - by_hand),
            1e-12,
        ),
        Check.at_most(
            "'mean' divides by B·K instead: K times smaller than the KL",
            abs(mean * K - by_hand),
            1e-12,
        ),
        Check.at_least(
            "the argument order matters: |KL(p‖q) − KL(q‖p)|", abs(by_hand - reverse), 1e-6
        ),
        Check.at_most(
            "∂KL/∂(student logits) equals (q − p)/B", max_abs_difference(s.grad, (q - p) / B), 1e-12
        ),
        Check.at_most(
            "the same gradient as cross_entropy with soft targets p",
            max_abs_difference(s.grad, ce.grad),
            1e-12,
        ),
        Check.at_most(
            "at temperature T the gradient picks up a factor 1/T: (q_T − p_T)/(T·B)",
            max_abs_difference(st.grad, (qT - pT) / (T * B)),
            1e-12,
        ),
        gradient_check(
            "analytic ∂KL/∂(student logits) equals central differences",
            lambda v: kl(v, p) * 10.0,
            [s_data],
            ["∂KL/∂s"],
        ),
    ]
    steps = [
        Step("student logits", s_data),
        Step("teacher p", p),
        Step("student q", q),
        Step(
            "kl_div(log q, p, 'batchmean')",
            float(batchmean.item()),
            r"\tfrac1B\sum_{i,k} p_{ik}(\log p_{ik} - \log q_{ik})",
        ),
        Step("kl_div(log q, p, 'mean')", mean, note=f"divided by B·K = {B * K}"),
        Step("KL(q‖p), the other direction", reverse),
        Step("∂/∂ student logits", s.grad, r"\frac{q - p}{B}"),
    ]
    return Demo(
        name="kl_div_conventions",
        title="kl_div's argument order and 'batchmean'",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"KL(p‖q) = {by_hand:.4f} is what 'batchmean' returns; 'mean' gives {mean:.4f} "
            f"({K}× smaller) and the reverse direction KL(q‖p) is {reverse:.4f}."
        ),
    )
