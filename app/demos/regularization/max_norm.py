"""Card 12: max-norm constraints.

After every update, each unit's incoming weight vector (a row of W, shape out × in) is
projected back into the ball ‖wⱼ‖₂ ≤ c: rows inside are left alone, rows outside are rescaled
to the boundary, direction unchanged. PyTorch has no optimizer flag for it;
torch.renorm(W, p=2, dim=0, maxnorm=c) does the projection, scaling an offending row by
c/(‖wⱼ‖ + 1e-7), so it lands a hair inside the ball. Unlike weight decay, it never touches a
row that is within bounds.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.registry import register
from app.demos.regularization.common import relative_error
from app.engine import SGD, Tensor, linear, mse_loss

RENORM_EPS = 1e-7  # torch.renorm divides by norm + 1e-7


class MaxNormParams(DemoParams):
    units: int = Field(default=6, ge=2, le=16, description="Rows of W (output units).")
    inputs: int = Field(default=5, ge=2, le=16, description="Columns of W.")
    c: float = Field(default=1.0, ge=0.5, le=3.0, description="The max-norm bound.")


def renorm(w: np.ndarray, maxnorm: float) -> np.ndarray:
    """torch.renorm(w, 2, 0, maxnorm): rows above maxnorm scaled by maxnorm/(‖row‖ + 1e-7)."""
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    return np.asarray(np.where(norms > maxnorm, w * (maxnorm / (norms + RENORM_EPS)), w))


@register(
    "max_norm",
    "Max-norm: project each unit's weights back into a ball",
    MaxNormParams,
    rules=("linear.vjp", "mse_loss.vjp"),
)
def max_norm(params: MaxNormParams) -> Demo:
    """Run the demo: one SGD step, then the max-norm projection, against weight decay."""
    rng = params.rng()
    c = params.c
    # Half the rows start well inside the ball, half outside it.
    directions = rng.standard_normal((params.units, params.inputs))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = np.where(np.arange(params.units) % 2 == 0, 0.5, 2.5) * c
    w0 = directions * radii[:, None]
    x = rng.standard_normal((8, params.inputs))
    target = rng.standard_normal((8, params.units))

    w = Tensor(w0.copy(), requires_grad=True)
    mse_loss(linear(Tensor(x), w), target).backward()
    lr = 0.01
    expected_step = w0 - lr * 2 / target.size * (x @ w0.T - target).T @ x
    SGD([w], lr=lr).step()
    stepped = w.data.copy()
    projected = renorm(stepped, c)
    norms_before = np.linalg.norm(stepped, axis=1)
    norms_after = np.linalg.norm(projected, axis=1)
    over = norms_before > c
    cosines = np.sum(projected * stepped, axis=1) / (norms_after * norms_before)
    # Any other point of the ball is farther from the stepped weights than the projection.
    others = rng.standard_normal((200, params.inputs))
    others *= (c * rng.uniform(0, 1, (200, 1)) ** (1 / params.inputs)) / np.linalg.norm(
        others, axis=1, keepdims=True
    )
    row = int(np.argmax(norms_before))
    closest_other = float(np.min(np.linalg.norm(others - stepped[row], axis=1)))
    decayed = stepped * (1 - lr * 0.5)

    checks = [
        Check.at_most(
            "the engine's SGD step equals W − η(2/(B·m))(XWᵀ − Y)ᵀX (relative gap)",
            relative_error(stepped, expected_step),
            1e-12,
        ),
        Check.at_most(
            "rows over the bound end at norm c·‖w‖/(‖w‖ + 1e-7), just inside c (largest gap)",
            float(
                np.max(
                    np.abs(
                        norms_after[over]
                        - c * norms_before[over] / (norms_before[over] + RENORM_EPS)
                    )
                )
            ),
            1e-12,
        ),
        Check.equal(
            "rows within the bound are untouched (entries changed)",
            int(np.sum(projected[~over] != stepped[~over])),
            0,
        ),
        Check.at_most(
            "the projection keeps each row's direction (largest 1 − cos)",
            float(np.max(1 - cosines)),
            1e-12,
        ),
        Check.at_least(
            "it is the closest point of the ball (nearest other point / projection's distance)",
            closest_other / float(np.linalg.norm(projected[row] - stepped[row])),
            1.0,
        ),
        Check.at_least(
            "weight decay, unlike the constraint, shrinks the small rows too (largest change)",
            float(np.max(np.abs(decayed[~over] - stepped[~over]))),
            1e-6,
        ),
        Check.equal(
            "rows over the bound after the step (there must be some)", int(over.sum()) > 0, 1.0
        ),
    ]
    steps = [
        Step("row norms before the step", np.linalg.norm(w0, axis=1)),
        Step("row norms after the SGD step", norms_before),
        Step("row norms after the projection", norms_after, r"\lVert w_j\rVert \le c"),
        Step("bound c", c),
        Step("rows projected", int(over.sum())),
    ]
    return Demo(
        name="max_norm",
        title="Max-norm: project each unit's weights back into a ball",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"After the step, {int(over.sum())} of {params.units} rows exceeded c = {c:g} and were "
            f"scaled back to norm {norms_after[over].max():.9g}; the other rows kept every entry, "
            "and each projected row kept its direction."
        ),
    )
