"""Card 10: log Σ eᶻ computed as m + log Σ e^(z − m), m = max z, never overflows.

e^z overflows float64 above z ≈ 709.78 (float32 above ≈ 88.72), so the naive formula returns inf
for large logits and −inf (log 0) for very negative ones. Subtracting the maximum makes the
largest term e⁰ = 1: the sum lies in [1, n] and its log in [0, log n]. The gradient is softmax(z).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.registry import register
from app.demos.training_at_scale.common import grad_or_nan, relative_error, softmax_rows
from app.engine import Tensor, logsumexp


class LogsumexpStableParams(DemoParams):
    offset: float = Field(default=1000.0, ge=800.0, le=5000.0, description="Added to all logits.")
    n: int = Field(default=6, ge=2, le=16, description="Logits per row.")
    rows: int = Field(default=3, ge=1, le=8, description="Rows.")


@register(
    "logsumexp_stable",
    "log-sum-exp with the maximum subtracted",
    LogsumexpStableParams,
    rules=("logsumexp.vjp",),
)
def logsumexp_stable(params: LogsumexpStableParams) -> Demo:
    """Run the demo: naive and stable log-sum-exp on large and very negative logits."""
    rng = params.rng()
    base = rng.standard_normal((params.rows, params.n)) * 3
    z = base + params.offset
    with np.errstate(over="ignore", divide="ignore"):
        naive_high = np.log(np.exp(z).sum(axis=-1))
        naive_low = np.log(np.exp(-z).sum(axis=-1))
        naive32 = np.log(np.exp(np.float32(89.0)) + np.float32(0.0))
    zt = Tensor(z, requires_grad=True)
    out = logsumexp(zt, dim=-1)
    u = rng.standard_normal(params.rows)
    with np.errstate(over="ignore", invalid="ignore"):  # a wrong rule may overflow: a red check
        (out * Tensor(u)).sum().backward()
    m = base.max(axis=-1)
    reference = m + np.log(np.exp(base - m[:, None]).sum(axis=-1))  # on the small logits
    low = logsumexp(Tensor(-z), dim=-1).data
    checks = [
        Check.equal(
            f"naive log Σ eᶻ: inf at z ≈ {params.offset:g}, −inf at −{params.offset:g}",
            float(np.isinf(naive_high).all() and np.isinf(naive_low).all()),
            1.0,
        ),
        Check.equal("in float32 e^89 already overflows", float(np.isinf(naive32)), 1.0),
        Check.at_most(
            "stable: lse(z + c) = lse(z) + c, computed from the shifted logits (relative)",
            relative_error(out.data - params.offset, reference),
            1e-12,
        ),
        Check.at_most(
            "max z ≤ lse(z) ≤ max z + log n (worst violation)",
            float(
                max(np.max(z.max(-1) - out.data), np.max(out.data - z.max(-1) - np.log(params.n)))
            ),
            0.0,
        ),
        Check.at_most(
            "the gradient of lse is softmax(z) (relative error)",
            relative_error(grad_or_nan(zt), u[:, None] * softmax_rows(z)),
            1e-12,
        ),
        Check.at_most(
            "very negative logits stay finite too (relative error)",
            relative_error(low, -z.min(-1) + np.log(np.exp(-(z - z.min(-1)[:, None])).sum(-1))),
            1e-12,
        ),
    ]
    steps = [
        Step("logits z, first row", z[0]),
        Step("naive log Σ eᶻ", naive_high),
        Step("max z", z.max(-1), r"m = \max_j z_j"),
        Step("engine logsumexp", out.data, r"m + \log\sum_j e^{z_j - m}"),
        Step("its gradient (first row)", grad_or_nan(zt)[0], r"u \cdot \mathrm{softmax}(z)"),
    ]
    chart = Chart(
        "softmax(z), first row (the gradient of lse)",
        "logit",
        "probability",
        [Series("softmax", list(range(params.n)), softmax_rows(z)[0].tolist())],
        kind="bar",
        y_from_zero=True,
    )
    return Demo(
        name="logsumexp_stable",
        title="log-sum-exp with the maximum subtracted",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=[chart],
        summary=(
            f"Logits near {params.offset:g}: e^z is inf, so the naive log-sum-exp is inf; "
            f"subtracting the maximum gives {out.data[0]:.6f} for the first row, between max z "
            "and max z + log n, with softmax(z) as its gradient."
        ),
    )
