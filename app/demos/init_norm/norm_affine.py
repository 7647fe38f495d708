"""Card 8: the learnable scale and shift of a normalisation layer, and why they are there.

Normalising forces every feature to mean 0 and variance 1 over the batch, a constraint the
next layer may not want (a sigmoid fed unit-variance inputs stays in its near-linear middle).
γ and β give the freedom back. They are fixed parameters while a batch's μ, σ² vary, so the
identity they can represent is the population one: γ = √(v̂ + ε), β = μ̂ with the running
statistics gives y = x exactly in evaluation mode, for any input; in training mode the same γ, β
give y ≈ x on a new batch, off by that batch's statistics (γ = √(σ² + ε), β = μ of the very batch
being normalised gives y = x, but only for that batch).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.init_norm.common import EXACT, grad_of, gradcheck_all, relative_error
from app.demos.registry import register
from app.engine import Tensor, batch_norm

EPS = 1e-5


class NormAffineParams(DemoParams):
    batch: int = Field(default=8, ge=3, le=32, description="Examples in the batch.")
    features: int = Field(default=3, ge=1, le=8, description="Features.")


@register(
    "norm_affine",
    "The scale and shift of a normalisation layer",
    NormAffineParams,
    rules=("batch_norm.vjp",),
)
def norm_affine(params: NormAffineParams) -> Demo:
    """Run the demo: batch norm without affine, with the affine that undoes it, and gradients."""
    rng = params.rng()
    m, c = params.batch, params.features
    x = rng.normal(rng.uniform(-3, 3, c), rng.uniform(0.5, 3, c), (m, c))
    mu, var = x.mean(axis=0), x.var(axis=0)
    plain = batch_norm(Tensor(x), None, None, training=True, eps=EPS).data
    gamma_id, beta_id = np.sqrt(var + EPS), mu
    restored = batch_norm(Tensor(x), None, None, gamma_id, beta_id, training=True, eps=EPS).data
    # Evaluation mode: running statistics (here those of the distribution x was drawn from) and
    # γ = √(v̂ + ε), β = μ̂; a new batch from the same distribution comes back unchanged.
    pop_mu, pop_sd = rng.uniform(-3, 3, c), rng.uniform(0.5, 3, c)
    x_new = rng.normal(pop_mu, pop_sd, (m, c))
    run_mean, run_var = pop_mu.copy(), pop_sd**2
    gamma_pop, beta_pop = np.sqrt(run_var + EPS), pop_mu
    eval_out = batch_norm(
        Tensor(x_new), run_mean, run_var, gamma_pop, beta_pop, training=False, eps=EPS
    ).data
    train_out = batch_norm(
        Tensor(x_new), None, None, gamma_pop, beta_pop, training=True, eps=EPS
    ).data

    g = rng.standard_normal((m, c))
    gamma = Tensor(rng.uniform(0.5, 2, c), requires_grad=True)
    beta = Tensor(rng.normal(0, 1, c), requires_grad=True)
    batch_norm(Tensor(x), None, None, gamma, beta, training=True, eps=EPS).backward(gradient=g)
    xhat = (x - mu) / np.sqrt(var + EPS)
    s = 1 / (1 + np.exp(-plain))

    def loss(x_: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return (batch_norm(x_, None, None, w, b, training=True, eps=EPS) * Tensor(g)).sum()

    checks = [
        Check.at_most(
            "without γ, β every feature leaves with batch mean 0 and variance σ²/(σ² + ε) ≈ 1 "
            "(largest deviation)",
            max(
                float(np.max(np.abs(plain.mean(axis=0)))),
                float(np.max(np.abs(plain.var(axis=0) - var / (var + EPS)))),
            ),
            1e-12,
        ),
        Check.at_most(
            "γ = √(σ² + ε), β = μ of this very batch give back this batch (relative error)",
            relative_error(restored, x),
            EXACT,
        ),
        Check.at_most(
            "evaluation mode, γ = √(v̂ + ε), β = μ̂ from the running statistics: a new batch "
            "comes back unchanged (relative error)",
            relative_error(eval_out, x_new),
            EXACT,
        ),
        Check.at_most(
            "dγ = Σ g·x̂ and dβ = Σ g: the engine against the formula (relative error)",
            max(
                relative_error(grad_of(gamma), (g * xhat).sum(axis=0)),
                relative_error(grad_of(beta), g.sum(axis=0)),
            ),
            EXACT,
        ),
        gradcheck_all(
            "the engine's ∂L/∂x, ∂L/∂γ, ∂L/∂β equal central differences",
            loss,
            [x, gamma.data.copy(), beta.data.copy()],
            ["∂L/∂x", "∂L/∂γ", "∂L/∂β"],
        ),
    ]
    steps = [
        Step("x (m × C)", x),
        Step("batch mean μ and variance σ² per feature", np.vstack([mu, var])),
        Step("x̂ without γ, β", plain, r"\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}"),
        Step(
            "γ x̂ + β with γ = √(σ² + ε), β = μ",
            restored,
            r"\gamma\hat x + \beta = x",
            "the identity is one setting of γ, β",
        ),
        Step(
            "training mode, the same γ, β, a new batch: relative error from the identity",
            relative_error(train_out, x_new),
            note="only approximate: the batch's own μ, σ² differ from μ̂, v̂",
        ),
        Step(
            "σ(x̂): a sigmoid after an affine-free norm",
            float(np.mean(np.abs(s - 0.5) < 0.23)),
            note="share of outputs in σ's near-linear middle (|σ − ½| < 0.23, |x̂| < 1)",
        ),
    ]
    return Demo(
        name="norm_affine",
        title="The scale and shift of a normalisation layer",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            "Without γ and β the layer's output has mean 0 and variance 1 per feature whatever "
            "the data; with γ = √(v̂ + ε) and β = μ̂ from the running statistics the evaluation-mode "
            "layer returns any input unchanged (relative error "
            f"{relative_error(eval_out, x_new):.1e}), "
            "while in training mode the same γ, β are off by the batch's own statistics "
            f"({relative_error(train_out, x_new):.1e})."
        ),
    )
