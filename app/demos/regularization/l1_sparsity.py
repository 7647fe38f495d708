"""Card 3: L1 gives exact zeros, L2 only shrinks.

For f(w) = ½‖w − a‖² + λ‖w‖₁ the minimiser is the soft threshold sign(a)·max(|a| − λ, 0):
every |aᵢ| ≤ λ lands exactly on 0, because 0 ∈ aᵢ − λ·[−1, 1] there. With (λ/2)‖w‖² instead,
w = a/(1 + λ): every entry shrinks by the same factor and none reaches 0. Plain subgradient
descent with autograd's |w|′ = sign(w) (0 at 0, PyTorch's convention) does not find the zeros:
it rattles around them; the proximal step (soft-thresholding after each gradient step) does.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import max_abs_difference
from app.demos.registry import register
from app.demos.regularization.common import grad_of
from app.engine import Tensor, abs

LR = 0.1
PROX_LR = 0.5  # the proximal iteration contracts by (1 − η) per step


class L1SparsityParams(DemoParams):
    n: int = Field(default=10, ge=4, le=32, description="Entries of w.")
    lam: float = Field(default=0.5, ge=0.1, le=1.0, description="λ, the penalty's weight.")
    steps: int = Field(default=300, ge=200, le=600, description="Descent steps.")


def soft_threshold(v: np.ndarray, t: float) -> np.ndarray:
    """sign(v)·max(|v| − t, 0): the proximal map of t‖·‖₁."""
    return np.asarray(np.sign(v) * np.maximum(np.abs(v) - t, 0.0))


def engine_grad(w: np.ndarray, a: np.ndarray, lam: float, l1: bool) -> np.ndarray:
    """∇ of ½‖w − a‖² + λ‖w‖₁ (l1) or of ½‖w − a‖² + (λ/2)‖w‖² through the engine."""
    t = Tensor(w, requires_grad=True)
    fit = ((t - Tensor(a)) * (t - Tensor(a))).sum() * 0.5
    penalty = abs(t).sum() * lam if l1 else (t * t).sum() * (lam / 2)
    (fit + penalty).backward()
    return grad_of(t)


@register(
    "l1_sparsity",
    "L1 vs L2: exact zeros from the subgradient at 0",
    L1SparsityParams,
    rules=("abs.vjp",),
)
def l1_sparsity(params: L1SparsityParams) -> Demo:
    """Run the demo: subgradient and proximal descent for L1, plain descent for L2."""
    rng = params.rng()
    lam = params.lam
    # Half the entries well inside (−λ, λ), half well outside, so the zeros are unambiguous.
    inside = rng.uniform(-0.8, 0.8, params.n // 2) * lam
    outside = (lam + rng.uniform(0.3, 1.5, params.n - params.n // 2)) * rng.choice(
        [-1.0, 1.0], params.n - params.n // 2
    )
    a = rng.permutation(np.concatenate([inside, outside]))
    zero = np.abs(a) <= lam

    sub, sub_ref = a.copy(), a.copy()
    sub_path = []
    for _ in range(params.steps):
        sub = sub - LR * engine_grad(sub, a, lam, l1=True)
        sub_ref = sub_ref - LR * (sub_ref - a + lam * np.sign(sub_ref))
        sub_path.append(float(np.max(np.abs(sub[zero]))))
    prox = a.copy()
    for _ in range(params.steps):
        smooth = prox - a  # the gradient of ½‖w − a‖² alone
        prox = soft_threshold(prox - PROX_LR * smooth, PROX_LR * lam)
    l2 = a.copy()
    for _ in range(params.steps):
        l2 = l2 - LR * engine_grad(l2, a, lam, l1=False)

    at_zero = Tensor(np.zeros(3), requires_grad=True)
    abs(at_zero).sum().backward()
    optimum = soft_threshold(a, lam)
    checks = [
        Check.at_most(
            "subgradient descent with the engine's |w|′ follows w ← w − η(w − a + λ·sign w) "
            "(largest difference)",
            max_abs_difference(sub, sub_ref),
            1e-12,
        ),
        Check.equal(
            "autograd's |w|′ at exactly 0 is 0, PyTorch's convention (largest |gradient|)",
            float(np.max(np.abs(grad_of(at_zero)))),
            0.0,
        ),
        Check.equal(
            "subgradient descent leaves no exact zero where the optimum is 0 (zeros found)",
            int(np.sum(sub[zero] == 0.0)),
            0,
        ),
        Check.at_most(
            "the proximal (soft-threshold) steps reach the optimum sign(a)·max(|a| − λ, 0) "
            "(largest difference)",
            max_abs_difference(prox, optimum),
            1e-12,
        ),
        Check.equal(
            "the proximal solution is exactly 0 wherever |aᵢ| ≤ λ (entries that are not)",
            int(np.sum(prox[zero] != 0.0)),
            0,
        ),
        Check.at_most(
            "L2's minimiser is a/(1 + λ): every entry shrinks by one factor (largest difference)",
            max_abs_difference(l2, a / (1 + lam)),
            1e-10,
        ),
        Check.equal("L2 sets no entry to 0 (zeros)", int(np.sum(l2 == 0.0)), 0),
    ]
    charts = [
        Chart(
            "Subgradient descent: largest |wᵢ| among entries whose optimum is 0",
            "step",
            "max |wᵢ|",
            [Series("subgradient descent", list(range(1, params.steps + 1)), sub_path)],
            log_y=True,
        ),
        Chart(
            "Solutions per entry",
            "a",
            "w",
            [
                Series("L1 (proximal)", [float(v) for v in np.sort(a)], list(prox[np.argsort(a)])),
                Series("L2", [float(v) for v in np.sort(a)], list(l2[np.argsort(a)])),
            ],
            kind="scatter",
        ),
    ]
    steps = [
        Step("a (the unpenalised optimum)", a),
        Step(
            "L1 optimum (soft threshold)",
            optimum,
            r"w^* = \operatorname{sign}(a)\max(|a|-\lambda, 0)",
        ),
        Step("proximal descent result", prox),
        Step("subgradient descent result", sub, "rattles at about ηλ around 0"),
        Step("L2 result", l2, r"w^* = a/(1+\lambda)"),
    ]
    return Demo(
        name="l1_sparsity",
        title="L1 vs L2: exact zeros from the subgradient at 0",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"With λ = {lam:g}, {int(zero.sum())} of {params.n} entries have |aᵢ| ≤ λ: the "
            f"proximal L1 solution is exactly 0 there, subgradient descent still sits at up to "
            f"{sub_path[-1]:.3g} from 0, and L2 shrinks everything by 1/(1 + λ) = "
            f"{1 / (1 + lam):.3g} without a single zero."
        ),
    )
