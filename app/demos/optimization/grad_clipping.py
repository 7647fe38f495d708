"""Card 11: clipping by norm against clipping by value. clip_grad_norm_ rescales all the
gradients together by min(1, max_norm/(‖g‖ + 1e-6)), ‖g‖ the norm of every gradient
concatenated: the direction is kept. clip_grad_value_ clamps each entry into [−c, c] on its
own: large entries are cut, small ones kept, so the direction turns."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.optimization.common import quiet, relative_error
from app.demos.registry import register
from app.engine import Tensor, optim


class GradClippingParams(DemoParams):
    fraction: float = Field(
        default=0.25, ge=0.05, le=0.9, description="max_norm as a fraction of the total norm."
    )


def with_grads(grads: list[np.ndarray]) -> list[Tensor]:
    """Parameters whose .grad are copies of `grads`."""
    params = []
    for g in grads:
        p = Tensor(np.zeros_like(g), requires_grad=True)
        p.grad = g.copy()
        params.append(p)
    return params


def flat(params: list[Tensor]) -> np.ndarray:
    return np.concatenate([np.asarray(p.grad).ravel() for p in params])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@register(
    "grad_clipping",
    "Clipping gradients by norm and by value",
    GradClippingParams,
    rules=("optim.clip_grad_norm", "optim.clip_grad_value"),
)
@quiet
def grad_clipping(params: GradClippingParams) -> Demo:
    """Run the demo: one set of gradients (a weight and a bias) clipped both ways."""
    rng = params.rng()
    weight = rng.standard_normal((3, 4))
    weight[rng.integers(3), rng.integers(4)] = 25.0 * rng.choice([-1.0, 1.0])  # one spike
    bias = rng.standard_normal(3)
    grads = [weight, bias]
    g = np.concatenate([weight.ravel(), bias])
    total = float(np.linalg.norm(g))
    max_norm = params.fraction * total

    by_norm = with_grads(grads)
    returned = optim.clip_grad_norm_(by_norm, max_norm)
    clipped = flat(by_norm)
    untouched = with_grads(grads)
    optim.clip_grad_norm_(untouched, 2 * total)
    value = float(np.sort(np.abs(g))[-4])  # c below the 4 largest entries
    by_value = with_grads(grads)
    optim.clip_grad_value_(by_value, value)
    clamped = flat(by_value)
    checks = [
        Check.at_most(
            "clip_grad_norm_ returns the norm of all gradients concatenated, before clipping "
            "(relative error)",
            abs(returned / total - 1),
            1e-12,
        ),
        Check.at_most(
            "after clip_grad_norm_ every gradient is g·max_norm/(‖g‖ + 1e-6) (relative error)",
            relative_error(clipped, g * max_norm / (total + 1e-6)),
            1e-12,
        ),
        Check.at_most(
            "clipping by norm keeps the direction: 1 − cos(clipped, original)",
            1 - cosine(clipped, g),
            1e-12,
        ),
        Check.equal(
            "below max_norm nothing changes (entries changed)",
            int(np.count_nonzero(flat(untouched) != g)),
            0,
        ),
        Check.at_most(
            "clip_grad_value_ clamps each entry into [−c, c] (largest deviation)",
            float(np.max(np.abs(clamped - np.clip(g, -value, value)))),
            0.0,
        ),
        Check.at_least(
            "clipping by value turns the gradient: 1 − cos(clamped, original)",
            1 - cosine(clamped, g),
            1e-3,
        ),
    ]
    index: list[float | int] = list(range(g.size))
    charts = [
        Chart(
            "Gradient entries, original and clipped",
            "entry (weight, then bias)",
            "value",
            [
                Series("original", index, [float(v) for v in g]),
                Series("clip_grad_norm_", index, [float(v) for v in clipped]),
                Series(f"clip_grad_value_ c = {value:.3g}", index, [float(v) for v in clamped]),
            ],
            kind="bar",
        )
    ]
    steps = [
        Step("∂L/∂W (3×4, with a spike)", weight),
        Step("∂L/∂b", bias),
        Step(
            "total norm, max_norm",
            np.array([total, max_norm]),
            r"\lVert g\rVert = \sqrt{\lVert g_W\rVert^2 + \lVert g_b\rVert^2}",
        ),
        Step(
            "scale applied by clip_grad_norm_",
            max_norm / (total + 1e-6),
            r"\min(1, \text{max\_norm}/(\lVert g\rVert + 10^{-6}))",
        ),
        Step(
            "cos after clipping: by norm, by value",
            np.array([cosine(clipped, g), cosine(clamped, g)]),
        ),
    ]
    return Demo(
        name="grad_clipping",
        title="Clipping gradients by norm and by value",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"The gradients' joint norm {total:.3g} was scaled to {max_norm:.3g} with the "
            f"direction kept (cos = 1); clamping entries at {value:.3g} left the small entries "
            f"alone and turned the direction (cos = {cosine(clamped, g):.4f})."
        ),
    )
