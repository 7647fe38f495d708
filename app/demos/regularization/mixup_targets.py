"""Card 10: mixup and what it does to the targets.

x̃ = λxᵢ + (1 − λ)xⱼ and ỹ = λyᵢ + (1 − λ)yⱼ with λ ~ Beta(α, α). Cross-entropy is linear in
its target, so CE(z, ỹ) = λ·CE(z, yᵢ) + (1 − λ)·CE(z, yⱼ): the usual two-loss implementation
is exact. Its gradient with respect to the logits is (softmax(z) − ỹ)/B, which vanishes only
when the predicted distribution equals ỹ: the model is trained to say "λ of class i", not 1.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import max_abs_difference
from app.demos.registry import register
from app.demos.regularization.common import grad_of
from app.engine import Tensor, cross_entropy, softmax

CLASSES = 4


class MixupParams(DemoParams):
    batch: int = Field(default=4, ge=2, le=16, description="Mixed pairs in the batch.")
    alpha: float = Field(default=0.4, ge=0.1, le=2.0, description="α of Beta(α, α).")


@register(
    "mixup_targets",
    "Mixup: soft targets, a linear loss, and the optimum it trains toward",
    MixupParams,
    rules=("log_softmax.vjp",),
)
def mixup_targets(params: MixupParams) -> Demo:
    """Run the demo: mixed targets through the engine's cross-entropy and its gradient."""
    rng = params.rng()
    b = params.batch
    lam = rng.beta(params.alpha, params.alpha, size=b)
    yi = rng.integers(CLASSES, size=b)
    yj = (yi + rng.integers(1, CLASSES, size=b)) % CLASSES  # a different class
    eye = np.eye(CLASSES)
    mixed = lam[:, None] * eye[yi] + (1 - lam[:, None]) * eye[yj]
    z0 = rng.standard_normal((b, CLASSES))

    z = Tensor(z0, requires_grad=True)
    soft = cross_entropy(z, mixed)
    soft.backward()
    dz = grad_of(z)
    two_losses = float((lam * cross_entropy(Tensor(z0), yi, reduction="none").data).mean()) + float(
        ((1 - lam) * cross_entropy(Tensor(z0), yj, reduction="none").data).mean()
    )
    p0 = softmax(Tensor(z0), axis=-1).data

    # Two classes per pair: at z* = log ỹ the softmax is ỹ and the gradient vanishes, while a
    # confident one-hot prediction is pushed back toward λ.
    pair = np.stack([lam, 1 - lam], axis=1)
    at_target = Tensor(np.log(pair), requires_grad=True)
    cross_entropy(at_target, pair).backward()
    confident = Tensor(np.tile([8.0, -8.0], (b, 1)), requires_grad=True)
    cross_entropy(confident, pair).backward()
    reached = softmax(Tensor(np.log(pair)), axis=-1).data
    draws = rng.beta(params.alpha, params.alpha, size=4000)

    checks = [
        Check.at_most(
            "CE with the mixed target equals λ·CE(yᵢ) + (1 − λ)·CE(yⱼ) (difference)",
            abs(soft.item() - two_losses),
            1e-12,
        ),
        Check.at_most(
            "its gradient is (softmax(z) − ỹ)/B (largest difference)",
            max_abs_difference(dz, (p0 - mixed) / b),
            1e-12,
        ),
        Check.at_most(
            "the loss is stationary where softmax(z) = ỹ, at z = log ỹ (largest |gradient|)",
            float(np.max(np.abs(grad_of(at_target)))),
            1e-15,
        ),
        Check.at_most(
            "a confident prediction z = (8, −8) gets gradient (σ − ỹ)/B, pulling p₁ down to λ "
            "(largest difference)",
            max_abs_difference(
                grad_of(confident), (softmax(Tensor(confident.data), axis=-1).data - pair) / b
            ),
            1e-12,
        ),
        Check.at_most(
            "λ ~ Beta(α, α) has mean ½ (difference over 4000 draws, in standard errors)",
            abs(float(draws.mean()) - 0.5) / (float(draws.std()) / np.sqrt(draws.size)),
            5.0,
        ),
    ]
    edges = np.linspace(0, 1, 11)
    counts, _ = np.histogram(draws, bins=edges)
    charts = [
        Chart(
            f"λ ~ Beta({params.alpha:g}, {params.alpha:g})",
            "λ",
            "share of draws",
            [
                Series(
                    "share",
                    [float(v) for v in (edges[:-1] + 0.05)],
                    [float(c) for c in counts / draws.size],
                )
            ],
            kind="bar",
            y_from_zero=True,
        )
    ]
    steps = [
        Step("λ per pair", lam),
        Step("mixed targets ỹ", mixed, r"\tilde y = \lambda y_i + (1-\lambda) y_j"),
        Step("loss with ỹ", soft.item()),
        Step("λ·CE(yᵢ) + (1 − λ)·CE(yⱼ)", two_losses),
        Step("∂L/∂z", dz, r"(\operatorname{softmax}(z) - \tilde y)/B"),
        Step("softmax(log ỹ) for the two-class pairs", reached, r"= (\lambda, 1-\lambda)"),
    ]
    return Demo(
        name="mixup_targets",
        title="Mixup: soft targets, a linear loss, and the optimum it trains toward",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"The mixed-target loss {soft.item():.6g} equalled the two-loss form, its gradient was "
            "(softmax(z) − ỹ)/B, and the loss is stationary only where the prediction equals ỹ: "
            "the top probability it trains toward is max(λ, 1 − λ), below 1."
        ),
    )
