"""Card 10: naive log σ(z) and log(1 + e^z) overflow or hit log 0 for large |z|; written through
softplus (max(z, 0) + log1p(e^(−|z|))) they are exact, and so are their gradients."""

from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np
from pydantic import Field

from app.demos.activations._common import engine_grad, relative_difference
from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.demos.text import format_number
from app.engine import Tensor, log, sigmoid, softplus

INF = float("inf")


class StableLogsigmoidParams(DemoParams):
    z_max: float = Field(default=900.0, ge=800.0, le=1000.0, description="Largest |z| tried.")


def reference_log_sigmoid(z: float) -> tuple[float, float]:
    """log σ(z) and its derivative 1 − σ(z) = 1/(1 + e^z), in 40-digit decimal arithmetic."""
    getcontext().prec = 40
    e = Decimal(z).exp()
    return float(-(1 + 1 / e).ln()), float(1 / (1 + e))


@register(
    "stable_logsigmoid",
    "Stable log-sigmoid and softplus at large |z|",
    StableLogsigmoidParams,
    rules=("softplus.vjp", "sigmoid.vjp"),
)
def stable_logsigmoid(params: StableLogsigmoidParams) -> Demo:
    """Run the demo: stable log-sigmoid and softplus at large |z|."""
    rng = params.rng()
    big = rng.uniform(0.9 * params.z_max, params.z_max)
    moderate = np.round(rng.uniform(-6, 6, 4), 3)
    z = np.concatenate([[-big, -40.0], moderate, [40.0, big]])
    with np.errstate(all="ignore"):  # the naive formulas overflow on purpose
        naive_sigmoid = 1 / (1 + np.exp(-z))
        naive_log_sigmoid = np.log(naive_sigmoid)
        naive_softplus = np.log(1 + np.exp(z))
        naive_engine_grad = engine_grad(lambda t: log(sigmoid(t)), z)

    def stable(t: Tensor) -> Tensor:  # log σ(z) = −softplus(−z)
        return -softplus(-t, threshold=INF)

    values = stable(Tensor(z)).data
    grads = engine_grad(stable, z)
    refs = np.array([reference_log_sigmoid(float(v)) for v in z])
    sig_grad = engine_grad(sigmoid, z)
    sig_ref = np.array(
        [float(s * (1 - s)) for s in (1 / (1 + (-Decimal(float(v))).exp()) for v in z)]
    )
    checks = [
        Check.at_least(
            "naive NumPy log σ(z), log(1 + e^z) give ±inf (non-finite results)",
            int(np.count_nonzero(~np.isfinite(naive_log_sigmoid)))
            + int(np.count_nonzero(~np.isfinite(naive_softplus))),
            2,
        ),
        Check.at_least(
            "the engine's naive log(sigmoid(z)) has a nan or inf gradient (count)",
            int(np.count_nonzero(~np.isfinite(naive_engine_grad))),
            1,
        ),
        Check.at_most(
            "−softplus(−z) equals log σ(z) at every z, ±z_max included (relative)",
            relative_difference(values, refs[:, 0]),
            1e-15,
        ),
        Check.at_most(
            "its engine gradient equals 1 − σ(z) = 1/(1 + e^z) at every z (relative)",
            relative_difference(grads, refs[:, 1]),
            1e-12,
        ),
        Check.at_most(
            "the engine's sigmoid never overflows and its σ′ matches the exact one "
            "(largest absolute error)",
            float(np.max(np.abs(sig_grad - sig_ref))),
            1e-15,
        ),
    ]
    steps = [
        Step("z", z),
        Step("naive log σ(z) in NumPy", naive_log_sigmoid, r"\log \tfrac{1}{1+e^{-z}}"),
        Step("naive log(1 + e^z) in NumPy", naive_softplus),
        Step("engine: −softplus(−z)", values, r"\log\sigma(z) = -\mathrm{softplus}(-z)"),
        Step("engine: its gradient", grads, r"\tfrac{d}{dz}\log\sigma(z) = 1 - \sigma(z)"),
        Step(
            "engine: gradient of log(sigmoid(z)) composed naively",
            ", ".join(format_number(v, 3) for v in naive_engine_grad),
            note="nan where σ(z) underflowed to 0: (1/0) · 0",
        ),
    ]
    return Demo(
        name="stable_logsigmoid",
        title="Stable log-sigmoid and softplus at large |z|",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"At z = −{big:.0f} the naive log σ(z) is −inf and its gradient nan; "
            f"−softplus(−z) gives {values[0]:.1f} with gradient {grads[0]:g}, both exact."
        ),
    )
