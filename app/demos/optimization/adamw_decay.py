"""Card 4: Adam with L2 against AdamW. Adam(weight_decay=λ) adds λθ to the gradient, so the
decay goes through the moments and is divided by √v̂ like everything else: a parameter whose
gradients are large (large v̂) is barely decayed. AdamW(weight_decay=λ) multiplies θ by
(1 − γλ) outside the moments, the same for every parameter. Two parameters, gradient scales
about 1 and 100, show it."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error, run
from app.demos.registry import register
from app.engine import Adam, AdamW

STEPS = 200
EPS = 1e-8


class AdamWDecayParams(DemoParams):
    lr: float = Field(default=1e-2, ge=1e-3, le=2e-2, description="γ.")
    weight_decay: float = Field(default=0.01, ge=1e-3, le=0.02, description="λ.")


@register(
    "adamw_decay",
    "Adam's L2 penalty against AdamW's decoupled decay",
    AdamWDecayParams,
    rules=("optim.adam_weight_decay",),
)
@quiet
def adamw_decay(params: AdamWDecayParams) -> Demo:
    """Run the demo: the same gradients under Adam, Adam + L2 and AdamW."""
    rng = params.rng()
    lr, lam = params.lr, params.weight_decay
    scales = np.array([1.0, 100.0]) * rng.uniform(1.0, 2.0, size=2)
    theta0 = rng.uniform(0.5, 1.5, size=2)
    # A loss whose gradient alternates in sign: mean zero, second moment s², independent of θ.
    signs = (-1.0) ** (np.arange(STEPS) + int(rng.integers(2)))

    def gradient(theta: np.ndarray, t: int) -> np.ndarray:
        return scales * signs[t]

    free = run(lambda p: Adam(p, lr=lr), theta0, gradient, STEPS)
    l2 = run(lambda p: Adam(p, lr=lr, weight_decay=lam), theta0, gradient, STEPS)
    decoupled = run(lambda p: AdamW(p, lr=lr, weight_decay=lam), theta0, gradient, STEPS)

    # AdamW by its definition: θ_t = (1 − γλ)θ_{t−1} − u_t, u_t the undecayed run's Adam step.
    updates = free[:-1] - free[1:]
    expected = [theta0]
    for u in updates:
        expected.append((1 - lr * lam) * expected[-1] - u)
    # Adam + L2, to first order in λ: the extra step γλθ/(√v̂ + ε), v̂ set by the gradients.
    # g² = s² at every step, so v_t = (1 − β₂ᵗ)s² and the bias-corrected v̂ is s² exactly.
    v_hat = np.broadcast_to(scales**2, (STEPS, 2))
    predicted_l2 = np.sum(lr * lam * free[:-1] / (np.sqrt(v_hat) + EPS), axis=0)
    nominal = np.sum(lr * lam * free[:-1], axis=0)
    shrink_l2 = (free[-1] - l2[-1]) / nominal  # decay achieved, in units of γλΣθ
    shrink_w = (free[-1] - decoupled[-1]) / nominal
    contrast_l2 = shrink_l2[0] / shrink_l2[1]
    rms = np.sqrt(v_hat[-1])
    checks = [
        Check.at_most(
            "AdamW multiplies θ by (1 − γλ) and then takes the undecayed Adam step "
            "(relative difference of the paths)",
            relative_error(decoupled, np.array(expected)),
            1e-12,
        ),
        Check.at_most(
            "AdamW decays both parameters alike, whatever their v̂: achieved over nominal "
            "γλΣθ, the difference between the two",
            float(abs(shrink_w[0] - shrink_w[1])),
            1e-3,
        ),
        Check.between(
            "AdamW's achieved decay over nominal is 1 up to compounding, ≥ 1 − γλT",
            float(np.min(shrink_w)),
            1 - lr * lam * STEPS,
            1.0,
        ),
        Check.between(
            "Adam + L2: achieved decay over Σ γλθ/(√v̂ + ε), gradient scale ≈ 1",
            float((free[-1] - l2[-1])[0] / predicted_l2[0]),
            0.94,
            1.04,
        ),
        Check.between(
            "Adam + L2: achieved decay over Σ γλθ/(√v̂ + ε), gradient scale ≈ 100",
            float((free[-1] - l2[-1])[1] / predicted_l2[1]),
            0.94,
            1.04,
        ),
        Check.at_least(
            "Adam + L2 decays the small-gradient parameter far more: ratio of achieved decays",
            contrast_l2,
            30.0,
        ),
    ]
    ticks = range(5, STEPS + 1, 5)
    x: list[float | int] = list(ticks)
    charts = [
        Chart(
            "Decay achieved so far, in units of the nominal γλΣθ",
            "step",
            "(θ_free − θ) / (γλ Σ θ)",
            [
                Series(
                    f"{name}, gradient scale {scales[i]:.3g}",
                    x,
                    [float((free[k] - path[k])[i] / np.sum(lr * lam * free[:k, i])) for k in ticks],
                )
                for name, path in (("Adam + L2", l2), ("AdamW", decoupled))
                for i in range(2)
            ],
            y_from_zero=True,
        )
    ]
    steps = [
        Step("gradient scales s (alternating ±s)", scales),
        Step("√v̂ at the last step", rms, r"\sqrt{\hat v} \approx s"),
        Step(
            "decay achieved / nominal, Adam + L2", shrink_l2, r"\approx 1/(\sqrt{\hat v}+\epsilon)"
        ),
        Step("decay achieved / nominal, AdamW", shrink_w, r"\approx 1"),
        Step(
            "θ after the run: Adam, Adam + L2, AdamW", np.array([free[-1], l2[-1], decoupled[-1]])
        ),
    ]
    return Demo(
        name="adamw_decay",
        title="Adam's L2 penalty against AdamW's decoupled decay",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Over {STEPS} steps AdamW decayed both parameters at the nominal rate; Adam + L2 "
            f"achieved {shrink_l2[0]:.3g} and {shrink_l2[1]:.3g} of it for gradient scales "
            f"{scales[0]:.3g} and {scales[1]:.3g}: its decay is divided by √v̂."
        ),
    )
