"""Card 15: stochastic depth (Huang et al., 2016).

In training, each residual block's branch is dropped per example (torchvision's mode="row")
with probability pₗ, and kept branches are scaled by 1/(1 − pₗ): x ← x + mₗ f(x)/(1 − pₗ), so the
block's expected output is x + f(x), which is what eval mode computes. A dropped block is the
identity: its example's gradient passes straight through and the branch's weights get nothing
from it. Huang et al. let the drop probability grow linearly with depth, pₗ = (l/L)·p_L with
p_L = 0.5 (they write it as a survival probability falling from 1 to 0.5).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference
from app.demos.registry import register
from app.demos.regularization.common import dropout_module, grad_of
from app.engine import Tensor, linear, relu

WIDTH = 6
SIGMAS = 5.0


class StochasticDepthParams(DemoParams):
    batch: int = Field(default=8, ge=4, le=32, description="Examples (rows).")
    p: float = Field(default=0.3, ge=0.1, le=0.7, description="Drop probability of the block.")
    copies: int = Field(default=2000, ge=1000, le=4000, description="Rows for the expectation.")


def branch(x: Tensor, w1: Tensor, w2: Tensor) -> Tensor:
    """f(x) = relu(x W₁ᵀ) W₂ᵀ: the residual branch."""
    return linear(relu(linear(x, w1)), w2)


def row_mask(rows: int, p: float, training: bool, rng: np.random.Generator) -> Tensor:
    """One keep-or-drop per row, scaled by 1/(1 − p): dropout of a column of ones."""
    return dropout_module.dropout(Tensor(np.ones((rows, 1))), p, training, rng)


@register(
    "stochastic_depth",
    "Stochastic depth: drop a residual branch per example, scale the survivors",
    StochasticDepthParams,
    rules=("dropout.scaling", "dropout.eval_identity", "linear.vjp"),
)
def stochastic_depth(params: StochasticDepthParams) -> Demo:
    """Run the demo: one block forward and backward in training mode, its mean, eval mode."""
    rng = params.rng()
    p = params.p
    w1_data = rng.standard_normal((WIDTH, WIDTH)) / math.sqrt(WIDTH)
    w2_data = rng.standard_normal((WIDTH, WIDTH)) / math.sqrt(WIDTH)
    x_data = rng.standard_normal((params.batch, WIDTH))
    upstream = rng.standard_normal(x_data.shape)

    x = Tensor(x_data, requires_grad=True)
    w1, w2 = Tensor(w1_data, requires_grad=True), Tensor(w2_data, requires_grad=True)
    mask = row_mask(params.batch, p, True, rng)
    while mask.data.min() > 0 or mask.data.max() == 0:  # show both kinds of rows
        mask = row_mask(params.batch, p, True, rng)
    f = branch(x, w1, w2)
    out = x + f * mask
    out.backward(gradient=upstream)
    kept = mask.data[:, 0] > 0
    f_data = f.data

    # Expected output: the same example in many rows, each with its own mask.
    one = np.repeat(x_data[:1], params.copies, axis=0)
    many = (
        one
        + branch(Tensor(one), Tensor(w1_data), Tensor(w2_data)).data
        * row_mask(params.copies, p, True, rng).data
    )
    eval_out = x_data[:1] + f_data[:1] * row_mask(1, p, False, rng).data
    spread = many.std(axis=0, ddof=1) / math.sqrt(params.copies)
    z = float(np.max(np.abs(many.mean(axis=0) - eval_out[0]) / spread))

    hidden = np.maximum(x_data @ w1_data.T, 0)
    scale = kept[:, None] / (1 - p)
    dw2_expected = (upstream * scale).T @ hidden
    relu_mask = (x_data @ w1_data.T > 0).astype(float)
    dx_expected = upstream + (((upstream * scale) @ w2_data) * relu_mask) @ w1_data
    blocks, p_last = 54, 0.5
    expected_depth = sum(1 - (layer / blocks) * p_last for layer in range(1, blocks + 1))

    checks = [
        Check.at_most(
            "a dropped row passes x through unchanged (largest difference)",
            max_abs_difference(out.data[~kept], x_data[~kept]),
            0.0,
        ),
        Check.at_most(
            "a kept row is x + f(x)/(1 − p) (largest difference)",
            max_abs_difference(out.data[kept], x_data[kept] + f_data[kept] / (1 - p)),
            1e-12,
        ),
        Check.at_most(
            f"over {params.copies} masks the mean output is the eval output x + f(x) (largest gap "
            "in standard errors)",
            z,
            SIGMAS,
        ),
        Check.at_most(
            "eval mode is deterministic: x + f(x) (largest difference)",
            max_abs_difference(eval_out, x_data[:1] + f_data[:1]),
            1e-12,
        ),
        Check.at_most(
            "a dropped row's input gradient is the upstream gradient itself (largest difference)",
            max_abs_difference(grad_of(x)[~kept], upstream[~kept]),
            0.0,
        ),
        Check.at_most(
            "a kept row's input gradient is g + J_fᵀ g/(1 − p) (largest difference)",
            max_abs_difference(grad_of(x)[kept], dx_expected[kept]),
            1e-12,
        ),
        Check.at_most(
            "the branch's ∂L/∂W₂ comes from kept rows only, scaled by 1/(1 − p) (largest "
            "difference)",
            max_abs_difference(grad_of(w2), dw2_expected),
            1e-12,
        ),
    ]
    steps = [
        Step("row mask m/(1 − p)", mask.data[:, 0], r"m_i \sim \mathrm{Bernoulli}(1-p)"),
        Step("block output", out.data, r"x + \frac{m}{1-p} f(x)"),
        Step("∂L/∂x", grad_of(x)),
        Step("eval output for row 1", eval_out[0]),
        Step("mean training output for row 1", many.mean(axis=0)),
        Step(
            "expected active blocks, L = 54, p_L = 0.5 (linear decay)",
            expected_depth,
            r"\sum_{l=1}^{L} \left(1 - \tfrac{l}{L}p_L\right) = \tfrac{3L-1}{4}",
        ),
    ]
    return Demo(
        name="stochastic_depth",
        title="Stochastic depth: drop a residual branch per example, scale the survivors",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With p = {p:g}, {int((~kept).sum())} of {params.batch} rows skipped the branch and "
            "passed x and their gradient through unchanged; the kept rows' branch was scaled by "
            f"{1 / (1 - p):.4g}, so the mean over {params.copies} masks matched eval mode's "
            f"x + f(x). With linear decay to 0.5 over 54 blocks, {expected_depth:.2f} are active "
            "on average."
        ),
    )
