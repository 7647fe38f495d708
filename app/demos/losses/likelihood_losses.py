"""MSE is the Gaussian negative log-likelihood (fixed σ) up to a scale and a constant; cross-entropy
is the categorical negative log-likelihood. Their minimisers are the mean and the frequencies."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Check, Demo, DemoParams, Step
from app.demos.evidence import max_abs_difference
from app.demos.losses.common import gradient_check, quiet_floats, softmax_rows
from app.demos.registry import register
from app.engine import Tensor, mse_loss
from app.engine import losses as L


class LikelihoodParams(DemoParams):
    n: int = Field(default=8, ge=4, le=32, description="Observations.")
    sigma: float = Field(default=1.0, ge=0.5, le=3.0, description="The Gaussian's fixed σ.")
    classes: int = Field(default=3, ge=2, le=6, description="Classes of the categorical part.")


def gaussian_nll(mu: Tensor, y: np.ndarray, sigma: float) -> Tensor:
    """Mean of (y − μ)²/(2σ²) + log σ + ½ log 2π, written from the density."""
    return ((mu - y) ** 2 * (1 / (2 * sigma**2))).mean() + (
        math.log(sigma) + 0.5 * math.log(2 * math.pi)
    )


@register(
    "likelihood_losses",
    "MSE and cross-entropy as maximum likelihood",
    LikelihoodParams,
    rules=("mse_loss.vjp", "log_softmax.vjp"),
)
@quiet_floats
def likelihood_losses(params: LikelihoodParams) -> Demo:
    """Run the demo: Gaussian NLL against MSE, categorical NLL against cross-entropy."""
    rng = params.rng()
    n, sigma, K = params.n, params.sigma, params.classes
    y = np.round(rng.normal(1.0, 2.0, n), 2)
    mu_data = np.round(rng.normal(1.0, 2.0, n), 2)

    mu = Tensor(mu_data, requires_grad=True)
    nll = gaussian_nll(mu, y, sigma)
    nll.backward()
    mu2 = Tensor(mu_data, requires_grad=True)
    mse = mse_loss(mu2, y)
    mse.backward()
    assert mu.grad is not None and mu2.grad is not None
    constant = math.log(sigma) + 0.5 * math.log(2 * math.pi)

    # The best constant prediction c under MSE: the gradient vanishes at the sample mean.
    def mse_grad_at(c: float) -> float:
        t = Tensor(np.array([c]), requires_grad=True)
        mse_loss(t.expand(n), y).backward()
        assert t.grad is not None
        return float(t.grad[0])

    mean = float(y.mean())
    # Categorical part: labels with every class present; one shared logit vector.
    labels = np.concatenate([np.arange(K), rng.integers(0, K, n - K)])
    freq = np.bincount(labels, minlength=K) / n
    logits = np.round(rng.normal(0.0, 1.0, (n, K)), 2)
    ce = float(L.cross_entropy(Tensor(logits), labels).item())
    likelihood = np.prod(softmax_rows(logits)[np.arange(n), labels])
    shared = Tensor(np.log(freq)[None, :].repeat(n, axis=0), requires_grad=True)
    L.cross_entropy(shared, labels).backward()
    assert shared.grad is not None
    shared_grad = shared.grad.sum(axis=0)  # one logit vector used for every row
    checks = [
        Check.at_most(
            "Gaussian NLL − MSE/(2σ²) is the constant log σ + ½ log 2π",
            abs(float(nll.item()) - float(mse.item()) / (2 * sigma**2) - constant),
            1e-12,
        ),
        Check.at_most(
            "its gradient is the engine's MSE gradient divided by 2σ²",
            max_abs_difference(mu.grad, mu2.grad / (2 * sigma**2)),
            1e-12,
        ),
        Check.at_most(
            "the MSE gradient of a constant prediction vanishes at the sample mean",
            abs(mse_grad_at(mean)),
            1e-12,
        ),
        Check.at_most(
            "and has slope 2 around it (g(mean + 0.1) = 0.2)",
            abs(mse_grad_at(mean + 0.1) - 0.2),
            1e-12,
        ),
        Check.at_most(
            "cross-entropy equals −(1/n) log Π p(y_i), the categorical NLL",
            abs(ce + math.log(likelihood) / n),
            1e-12,
        ),
        Check.at_most(
            "one shared logit vector has zero gradient at log(class frequencies)",
            float(np.max(np.abs(shared_grad))),
            1e-12,
        ),
        gradient_check(
            "analytic gradients of MSE and cross-entropy equal central differences",
            lambda m, z: mse_loss(m, y) + L.cross_entropy(z, labels),
            [mu_data, logits],
            ["∂MSE/∂μ", "∂CE/∂Z"],
        ),
    ]
    steps = [
        Step("y (observations)", y),
        Step("μ (predictions)", mu_data),
        Step(
            "Gaussian NLL",
            float(nll.item()),
            r"\tfrac1n\sum_i \tfrac{(y_i-\mu_i)^2}{2\sigma^2} + \log\sigma + \tfrac12\log 2\pi",
        ),
        Step("MSE", float(mse.item()), r"\tfrac1n \sum_i (y_i - \mu_i)^2"),
        Step("∂NLL/∂μ", mu.grad, r"\frac{\mu - y}{n\sigma^2}"),
        Step("class frequencies", freq, note="the categorical MLE"),
        Step("cross-entropy", ce, r"-\tfrac1n \log\prod_i p_{i,y_i}"),
    ]
    return Demo(
        name="likelihood_losses",
        title="MSE and cross-entropy as maximum likelihood",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        summary=(
            f"With σ = {sigma:g} the Gaussian NLL is MSE/{2 * sigma**2:g} + {constant:.4f}: "
            "the same "
            f"minimiser (here the mean {mean:.3f} for a constant prediction). Cross-entropy "
            f"{ce:.4f} is −(1/n) log of the probability the model gives the observed labels."
        ),
    )
