"""Card 9: the loss is NaN. Three causes, each reproduced and fixed with the engine.

1. log of zero: softmax underflows to an exact 0 for a far-off logit (below e⁻⁷⁴⁵ in float64),
   log(0) = −inf, and its gradient 1/0 times 0 gives NaN. Fix: log_softmax (z − logsumexp z).
2. an overflowing exp: e^z = inf above z ≈ 709.78 (float64), inf/inf = NaN. Fix: subtract the
   maximum first.
3. a learning rate too high: gradient descent on a quadratic with curvature λ diverges for
   lr > 2/λ, by |1 − lr·λ| per step, until the loss overflows to inf and then NaN.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import EXACT, grad_or_nan, relative_error, softmax_rows
from app.engine import Tensor, log_softmax

MAX_STEPS = 100


class NanChecklistParams(DemoParams):
    gap: float = Field(default=800.0, ge=760.0, le=2000.0, description="Logit gap to the target.")
    classes: int = Field(default=4, ge=2, le=8, description="Classes C.")
    curvature: float = Field(default=4.0, ge=1.0, le=10.0, description="Curvature λ.")
    lr_factor: float = Field(default=2.0, ge=1.5, le=3.0, description="lr as a multiple of 2/λ.")


def first_non_finite(lr: float, curvature: float, w0: float) -> tuple[int, list[float]]:
    """Gradient descent in float32 on L = λw²/2 from w0: the step whose loss is inf or NaN
    (0 if none in MAX_STEPS)."""
    w = Tensor(np.array(w0, dtype=np.float32), requires_grad=True)
    curve = []
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, MAX_STEPS + 1):
            w.grad = None
            loss = (w * w) * (curvature / 2)
            curve.append(float(loss.item()))
            if not np.isfinite(loss.item()):
                return step, curve
            loss.backward()
            w.data = (w.data - lr * grad_or_nan(w)).astype(np.float32)
    return 0, curve


@register(
    "nan_checklist",
    "The loss is NaN: log of zero, overflowing exp, lr too high",
    NanChecklistParams,
    rules=("log_softmax.vjp", "exp.vjp"),
)
def nan_checklist(params: NanChecklistParams) -> Demo:
    """Run the demo: each cause of a NaN, then its fix."""
    rng = params.rng()
    c = params.classes
    z = rng.standard_normal((1, c))
    z[0, 0] -= params.gap  # the target class sits far below the others: p₀ underflows to 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        zt = Tensor(z, requires_grad=True)
        e = (zt - Tensor(z.max())).exp()
        p = e / e.sum(axis=-1, keepdims=True)
        naive_loss = -p[0, 0].log()
        naive_loss.backward()
        naive_grad = grad_or_nan(zt)
        big = Tensor(z + params.gap * 2, requires_grad=True)  # e^z itself overflows now
        unshifted = big.exp() / big.exp().sum(axis=-1, keepdims=True)
    reference = softmax_rows(z)
    reference[0, 0] -= 1  # d(−log p₀)/dz = p − onehot
    zs = Tensor(z, requires_grad=True)
    fixed_loss = -log_softmax(zs, axis=-1)[0, 0]
    fixed_loss.backward()
    shifted = Tensor(z + params.gap * 2, requires_grad=True)
    m = Tensor(shifted.data.max(axis=-1, keepdims=True))
    num = (shifted - m).exp()
    soft = num / num.sum(axis=-1, keepdims=True)
    weights = rng.standard_normal((1, c))
    (soft * Tensor(weights)).sum().backward()
    s = softmax_rows(z)
    soft_reference = s * (weights - (weights * s).sum())
    lam = params.curvature
    w0 = float(rng.uniform(0.5, 2.0))
    blow_up, curve_high = first_non_finite(params.lr_factor * 2 / lam, lam, w0)
    safe, _ = first_non_finite(0.5 * 2 / lam, lam, w0)
    checks = [
        Check.equal(
            "log of zero: softmax underflows, −log p is inf and its gradient NaN (non-finite)",
            float(not np.isfinite(naive_loss.item()) and np.isnan(naive_grad).any()),
            1.0,
        ),
        Check.at_most(
            "fix: −log_softmax is finite and its gradient is p − onehot (relative error)",
            relative_error(grad_or_nan(zs), reference)
            + (0.0 if np.isfinite(fixed_loss.item()) else np.inf),
            EXACT,
        ),
        Check.equal(
            "overflowing exp: e^z is inf, so inf/inf makes softmax NaN",
            float(np.isnan(unshifted.data).any()),
            1.0,
        ),
        Check.at_most(
            "fix: e^(z − max z) keeps it finite, and its gradient is right (relative error)",
            relative_error(grad_or_nan(shifted), soft_reference),
            1e-10,
        ),
        Check.at_least(
            f"lr above 2/λ: the float32 loss overflows to inf within {MAX_STEPS} steps (step)",
            blow_up,
            1,
        ),
        Check.equal(f"lr = 1/λ: {MAX_STEPS} steps, never a non-finite loss", float(safe == 0), 1.0),
    ]
    steps = [
        Step("logits z", z[0]),
        Step("softmax in float64 (p₀ underflows)", p.data[0]),
        Step("naive loss −log p₀", float(naive_loss.item())),
        Step("log_softmax loss", float(fixed_loss.item()), r"-z_0 + \log\sum_j e^{z_j}"),
        Step("lr, as a multiple of 2/λ", params.lr_factor),
        Step("first non-finite step at that lr", blow_up),
        Step("growth of |w| per step", abs(1 - params.lr_factor * 2), r"|1 - \eta\lambda|"),
    ]
    finite = [v for v in curve_high if np.isfinite(v)]
    chart = Chart(
        "Loss under gradient descent, lr above 2/λ (log scale)",
        "step",
        "loss",
        [Series("loss", list(range(1, len(finite) + 1)), finite)],
        log_y=True,
    )
    return Demo(
        name="nan_checklist",
        title="The loss is NaN: log of zero, overflowing exp, lr too high",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"A logit {params.gap:g} below the rest makes softmax exactly 0, so −log p = inf and "
            "the gradient NaN; log_softmax gives the finite loss and p − onehot. e^z of a large "
            f"logit is inf; subtracting the maximum fixes it. At {params.lr_factor:g}×(2/λ) the "
            f"loss grows by {(1 - params.lr_factor * 2) ** 2:.3g}× a step and is non-finite at "
            f"step {blow_up}."
        ),
    )
