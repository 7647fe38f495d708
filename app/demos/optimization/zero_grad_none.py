"""Card 15: zero_grad(set_to_none=True) and optimizers that skip None. Since PyTorch 2.0
zero_grad() sets .grad to None by default, and step() skips a parameter whose .grad is None:
no update, no weight decay, no change to its Adam state. With set_to_none=False the gradient is
a tensor of zeros and is not skipped: AdamW still decays the parameter and Adam's momentum
still moves it."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.optimization.common import quiet, relative_error
from app.demos.registry import register
from app.engine import AdamW, Tensor

LR = 0.1
BETAS = (0.9, 0.999)
EPS = 1e-8


class ZeroGradParams(DemoParams):
    weight_decay: float = Field(default=0.1, ge=0.0, le=0.5, description="AdamW's λ.")


def two_steps(
    a0: np.ndarray, b0: np.ndarray, x: np.ndarray, decay: float, set_to_none: bool
) -> tuple[Tensor, Tensor, AdamW, bool]:
    """Step 1 uses a and b; step 2's loss uses only a (b's branch is skipped, as a frozen or
    unused head would be). Returns both parameters, the optimizer and whether b.grad was None."""
    a = Tensor(a0.copy(), requires_grad=True)
    b = Tensor(b0.copy(), requires_grad=True)
    optimizer = AdamW([a, b], lr=LR, betas=BETAS, eps=EPS, weight_decay=decay)
    ((a * Tensor(x)).sum() + (b * b).sum()).backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=set_to_none)
    b_was_none = b.grad is None
    (a * Tensor(x) * a).sum().backward()
    optimizer.step()
    return a, b, optimizer, b_was_none


@register(
    "zero_grad_none",
    "zero_grad(set_to_none) and skipped parameters",
    ZeroGradParams,
    rules=("optim.skip_none_grad", "optim.adam_moments", "optim.adam_weight_decay"),
)
@quiet
def zero_grad_none(params: ZeroGradParams) -> Demo:
    """Run the demo: the same two AdamW steps after zero_grad() with and without set_to_none."""
    rng = params.rng()
    decay = params.weight_decay
    a0, b0, x = (rng.uniform(-2, 2, size=3) for _ in range(3))
    a_none, b_none, opt_none, was_none = two_steps(a0, b0, x, decay, set_to_none=True)
    a_zero, b_zero, opt_zero, zero_was_none = two_steps(a0, b0, x, decay, set_to_none=False)

    # b by hand: step 1 with g₁ = 2b₀, then, only when its grad is zeros, step 2 with g = 0.
    beta1, beta2 = BETAS
    g1 = 2 * b0
    b1 = b0 * (1 - LR * decay) - LR * g1 / (np.abs(g1) + EPS)
    m2, v2 = beta1 * (1 - beta1) * g1, beta2 * (1 - beta2) * g1**2
    b2 = b1 * (1 - LR * decay) - LR * (m2 / (1 - beta1**2)) / (np.sqrt(v2 / (1 - beta2**2)) + EPS)
    checks = [
        Check.equal("zero_grad() leaves .grad = None by default (1 = None)", int(was_none), 1),
        Check.at_most(
            "step() skips a parameter whose .grad is None: b is exactly b after step 1 "
            "(relative difference)",
            relative_error(b_none.data, b1),
            1e-12,
        ),
        Check.equal(
            "…and its Adam state is untouched: its step count stays 1",
            int(opt_none.state[b_none]["step"]),
            1,
        ),
        Check.equal("zero_grad(set_to_none=False) leaves zeros (1 = None)", int(zero_was_none), 0),
        Check.at_most(
            "a zero .grad is not skipped: b takes the decay and m̂/√v̂ of step 2 "
            "(relative error against the update by hand)",
            relative_error(b_zero.data, b2),
            1e-12,
        ),
        Check.at_least(
            "…so the two ways of zeroing leave b in different places (max |difference|)",
            float(np.max(np.abs(b_zero.data - b_none.data))),
            1e-3,
        ),
        Check.equal(
            "a, which had a gradient both times, ends the same either way (entries differing)",
            int(np.count_nonzero(a_none.data != a_zero.data)),
            0,
        ),
    ]
    steps = [
        Step("b₀", b0),
        Step("b after step 1", b1, r"b_1 = (1-\gamma\lambda) b_0 - \gamma\,\mathrm{sign}(g_1)"),
        Step("b after step 2, .grad = None (skipped)", b_none.data),
        Step(
            "b after step 2, .grad = 0 (decayed, moved by momentum)",
            b_zero.data,
            r"b_2 = (1-\gamma\lambda) b_1 - \gamma\,\hat m_2/(\sqrt{\hat v_2}+\epsilon),"
            r"\ m_2 = \beta_1 m_1",
        ),
        Step(
            "Adam step counts of b (None, zeros)",
            np.array(
                [opt_none.state[b_none]["step"], opt_zero.state[b_zero]["step"]], dtype=np.float64
            ),
        ),
    ]
    return Demo(
        name="zero_grad_none",
        title="zero_grad(set_to_none) and skipped parameters",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            "After zero_grad() (None) the unused parameter b was skipped by AdamW's second step; "
            "after zero_grad(set_to_none=False) its zero gradient still decayed it and "
            f"momentum moved it by up to {float(np.max(np.abs(b_zero.data - b_none.data))):.3g}."
        ),
    )
