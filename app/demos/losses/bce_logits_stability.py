"""BCE with logits and log-sum-exp in float32: the naive formulas overflow to inf at |z| ≈ 17-89;
the engine's softplus and shifted logsumexp stay finite and exact."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.losses.common import gradient_check, quiet_floats, relative_difference, sigmoid
from app.demos.registry import register
from app.engine import Tensor, logsumexp
from app.engine import losses as L


class BceStabilityParams(DemoParams):
    magnitude: float = Field(
        default=100.0, ge=20.0, le=500.0, description="|z| of the two planted extreme logits."
    )
    batch: int = Field(default=6, ge=3, le=16, description="Logits (two are planted).")


def naive_bce(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """−[y log σ(x) + (1 − y) log(1 − σ(x))] through σ, in the input's dtype (float32 here)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        s = (1 / (1 + np.exp(-x))).astype(x.dtype)
        return np.asarray(-(y * np.log(s) + (1 - y) * np.log(1 - s)))


def stable_bce64(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """max(x, 0) − x·y + log(1 + e^(−|x|)) in float64: the reference."""
    x64 = x.astype(np.float64)
    return np.asarray(np.maximum(x64, 0) - x64 * y + np.log1p(np.exp(-np.abs(x64))))


@register(
    "bce_logits_stability",
    "BCE with logits and log-sum-exp in float32",
    BceStabilityParams,
    rules=("softplus.vjp", "logsumexp.vjp", "losses.bce_logits_stable"),
)
@quiet_floats
def bce_logits_stability(params: BceStabilityParams) -> Demo:
    """Run the demo: naive and stable BCE and logsumexp on extreme float32 logits."""
    rng = params.rng()
    m, n = params.magnitude, params.batch
    # Both planted examples are confidently wrong: the true loss is about m each.
    x = np.concatenate([[m, -m], np.round(rng.uniform(-6, 6, n - 2), 2)]).astype(np.float32)
    y = np.concatenate([[0.0, 1.0], rng.integers(0, 2, n - 2)]).astype(np.float32)
    naive = naive_bce(x, y)
    reference = stable_bce64(x, y)
    xt = Tensor(x, requires_grad=True)
    per_example = L.binary_cross_entropy_with_logits(xt, y, reduction="none")
    per_example.sum().backward()
    assert xt.grad is not None
    engine = per_example.data

    top = max(m, 100.0)  # exp overflows float32 above 88.7
    row = np.concatenate([[top, top - 1.0], np.round(rng.uniform(-3, 3, 3), 2)])
    row = row.astype(np.float32)
    # exp(x − out) inherits the rounding of out, a float32 near `top`: a few of its ulps.
    lse_grad_tol = float(8 * np.spacing(np.float32(top + 1)))
    with np.errstate(over="ignore"):
        naive_lse = float(np.log(np.exp(row).sum()))
    r64 = row.astype(np.float64)
    lse_reference = float(r64.max() + np.log(np.exp(r64 - r64.max()).sum()))
    rt = Tensor(row, requires_grad=True)
    lse = logsumexp(rt, dim=0)
    lse.backward()
    assert rt.grad is not None
    softmax_reference = np.exp(r64 - lse_reference)

    # BCELoss on sigmoid(x) at x = 30, y = 0: σ(30) rounds to 1 in float32, the clamped log gives
    # a finite loss instead of the true 30, and the backward factor σ(1 − σ) is exactly 0.
    x30 = Tensor(np.array([30.0], dtype=np.float32), requires_grad=True)
    bce_probs = L.binary_cross_entropy(x30.sigmoid(), np.zeros(1, dtype=np.float32))
    bce_probs.backward()
    assert x30.grad is not None
    x30_logits = Tensor(np.array([30.0], dtype=np.float32), requires_grad=True)
    bce_logits = L.binary_cross_entropy_with_logits(x30_logits, np.zeros(1, dtype=np.float32))
    bce_logits.backward()
    assert x30_logits.grad is not None
    bce_probs_value = float(bce_probs.item())

    small_x = np.round(rng.uniform(-4, 4, 4), 2)
    small_y = rng.integers(0, 2, 4).astype(np.float64)
    checks = [
        Check.at_least(
            "the naive float32 formula through σ gives a non-finite loss (entries inf or nan)",
            int(np.sum(~np.isfinite(naive))),
            1,
        ),
        Check.at_most(
            "engine's float32 BCE with logits equals the float64 reference (relative error)",
            relative_difference(engine, reference),
            1e-6,
        ),
        Check.at_most(
            "engine's float32 gradient equals σ(x) − y (float64 reference, max error)",
            float(np.max(np.abs(xt.grad - (sigmoid(x.astype(np.float64)) - y)))),
            1e-6,
        ),
        Check.at_least(
            "naive float32 log Σ exp(x) overflows (1 when it is inf)", float(np.isinf(naive_lse)), 1
        ),
        Check.at_most(
            "engine's float32 logsumexp equals m + log Σ exp(x − m) (relative error)",
            abs(float(lse.item()) - lse_reference) / abs(lse_reference),
            1e-6,
        ),
        Check.at_most(
            "engine's logsumexp gradient equals softmax(x) "
            "(max error, a few float32 ulps of the max)",
            float(np.max(np.abs(rt.grad - softmax_reference))),
            lse_grad_tol,
        ),
        Check.equal(
            "BCELoss on σ(x) at x = 30, y = 0 (float32): the loss is finite, not the true 30, "
            "and the gradient is exactly 0 (|∂ℓ/∂x|; nan when the loss is 30 or not finite)",
            abs(float(x30.grad[0]))
            if np.isfinite(bce_probs_value) and abs(bce_probs_value - 30.0) > 1.0
            else float("nan"),
            0,
        ),
        Check.at_most(
            "BCE with logits at the same x = 30, y = 0: loss 30 and gradient 1 (largest error)",
            max(abs(float(bce_logits.item()) - 30.0), abs(float(x30_logits.grad[0]) - 1.0)),
            1e-6,
        ),
        gradient_check(
            "analytic gradients of BCE with logits and logsumexp equal central differences",
            lambda v: L.binary_cross_entropy_with_logits(v, small_y) + logsumexp(v * 2.0, dim=0),
            [small_x],
            ["∂L/∂x"],
        ),
    ]
    steps = [
        Step("x (float32 logits)", x, note="x = +m with y = 0 and x = −m with y = 1 planted"),
        Step("y", y),
        Step(
            "naive loss through σ (float32)", naive, r"-[y\log\sigma(x) + (1-y)\log(1-\sigma(x))]"
        ),
        Step("engine's loss (float32)", engine, r"\max(x,0) - xy + \log(1 + e^{-|x|})"),
        Step("engine's ∂ℓ/∂x (float32)", xt.grad, r"\sigma(x) - y"),
        Step(
            "BCELoss(σ(30), 0): loss, ∂ℓ/∂x",
            np.array([bce_probs_value, float(x30.grad[0])]),
            note="σ(30) rounds to 1: a clamped log, and σ(1 − σ) = 0 in the backward",
        ),
        Step(
            "BCE with logits(30, 0): loss, ∂ℓ/∂x",
            np.array([float(bce_logits.item()), float(x30_logits.grad[0])]),
        ),
        Step("row for logsumexp (float32)", row),
        Step("naive log Σ exp(x)", naive_lse, note="exp(x) overflows float32 above x ≈ 88.7"),
        Step(
            "engine's logsumexp", float(lse.item()), r"m + \log\sum_j e^{x_j - m},\ m = \max_j x_j"
        ),
    ]
    return Demo(
        name="bce_logits_stability",
        title="BCE with logits and log-sum-exp in float32",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"At x = {m:g} with y = 0 the naive float32 loss is {naive[0]:g} (σ rounds to 1, "
            f"log 0); the engine gives {engine[0]:.6g}, the exact value. log Σ exp overflows too: "
            f"naive {naive_lse:g}, engine {float(lse.item()):.6g}."
        ),
    )
