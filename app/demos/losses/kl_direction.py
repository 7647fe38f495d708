"""Forward and reverse KL when a Gaussian q is fitted to a two-mode target p: KL(p‖q) is
minimised by matching p's mean and variance (q covers both modes), KL(q‖p) by sitting on one
mode (q seeks a mode). Densities live on a grid; the engine computes both divergences."""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.losses.common import gradient_check, quiet_floats
from app.demos.registry import register
from app.engine import Tensor, no_grad

GRID = np.linspace(-10.0, 10.0, 401)
DX = float(GRID[1] - GRID[0])
MODE_STD = 0.5
CLOSE_D = 1.0  # modes at ±1: bimodal (2 > 2·0.5), yet too close for reverse KL to pick one


class KlDirectionParams(DemoParams):
    separation: float = Field(
        default=2.5, ge=1.5, le=4.0, description="Each mode's distance d from 0 (modes at ±d)."
    )


def target_density(d: float, weight: float) -> np.ndarray:
    """p(x) = w·N(x; −d, 0.5²) + (1 − w)·N(x; d, 0.5²) on the grid."""

    def normal(mu: float) -> np.ndarray:
        return np.exp(-((GRID - mu) ** 2) / (2 * MODE_STD**2)) / (MODE_STD * math.sqrt(2 * math.pi))

    return weight * normal(-d) + (1 - weight) * normal(d)


def log_q(mu: Tensor, log_sigma: Tensor, x: np.ndarray) -> Tensor:
    """log N(x; μ, σ²) with σ = exp(log σ), broadcasting μ and log σ against x."""
    sigma = log_sigma.exp()
    return ((x - mu) * (1 / sigma)) ** 2 * -0.5 - log_sigma - 0.5 * math.log(2 * math.pi)


def forward_kl(mu: Tensor, log_sigma: Tensor, p: np.ndarray) -> Tensor:
    """KL(p‖q) up to p's entropy: −Σ p log q Δx (the term that depends on q)."""
    return (log_q(mu, log_sigma, GRID) * (p * -DX)).sum(axis=-1)


def reverse_kl(mu: Tensor, log_sigma: Tensor, log_p: np.ndarray) -> Tensor:
    """KL(q‖p) = Σ q (log q − log p) Δx."""
    lq = log_q(mu, log_sigma, GRID)
    return (lq.exp() * (lq - log_p) * DX).sum(axis=-1)


@register(
    "kl_direction",
    "Forward vs reverse KL: mode covering and mode seeking",
    KlDirectionParams,
    rules=("exp.vjp", "pow.vjp", "sum.vjp"),
)
@quiet_floats
def kl_direction(params: KlDirectionParams) -> Demo:
    """Run the demo: fit a Gaussian to a two-mode target under each direction of KL."""
    rng = params.rng()
    d = params.separation
    weight = float(np.round(rng.uniform(0.3, 0.7), 3))
    p = target_density(d, weight)
    w = p / p.sum()
    log_p = np.log(np.maximum(p, 1e-300))

    # Forward KL: the moment-matched Gaussian, and the engine's gradient there.
    mean = float(w @ GRID)
    std = float(np.sqrt(w @ (GRID - mean) ** 2))
    mu = Tensor(np.array(mean), requires_grad=True)
    ls = Tensor(np.array(math.log(std)), requires_grad=True)
    forward_kl(mu, ls, p).backward()
    assert mu.grad is not None and ls.grad is not None
    moment_grad = max(abs(float(mu.grad)), abs(float(ls.grad)))

    # Reverse KL: every (μ, σ) of a grid at once, forward only.
    mus = np.linspace(-d - 2, d + 2, 81)
    sigmas = np.exp(np.linspace(math.log(0.2), math.log(4.0), 31))
    mm, ss = (a.reshape(-1, 1) for a in np.meshgrid(mus, sigmas, indexing="ij"))
    with no_grad():
        table = reverse_kl(Tensor(mm), Tensor(np.log(ss)), log_p).data
        fwd_table = forward_kl(Tensor(mm), Tensor(np.log(ss)), p).data
    best = int(np.argmin(table))
    mu_rev, sigma_rev = float(mm[best, 0]), float(ss[best, 0])

    # "Mode seeking" needs well-separated modes: at ±1 (4 mode stds apart, p still bimodal), the
    # best single Gaussian under reverse KL sits between the modes, covering both.
    close_log_p = np.log(np.maximum(target_density(CLOSE_D, 0.5), 1e-300))
    c_mus = np.linspace(-2.0, 2.0, 41)
    c_sigmas = np.exp(np.linspace(math.log(0.3), math.log(2.0), 21))
    cm, cs = (a.reshape(-1, 1) for a in np.meshgrid(c_mus, c_sigmas, indexing="ij"))
    with no_grad():
        close_table = reverse_kl(Tensor(cm), Tensor(np.log(cs)), close_log_p).data
    close_best = int(np.argmin(close_table))
    mu_close, sigma_close = float(cm[close_best, 0]), float(cs[close_best, 0])

    def at(fn: object, m: float, s: float) -> float:
        with no_grad():
            arg = log_p if fn is reverse_kl else p
            return float(fn(Tensor(np.array(m)), Tensor(np.array(math.log(s))), arg).item())  # type: ignore[operator]

    rev_moment, rev_mode = at(reverse_kl, mean, std), at(reverse_kl, mu_rev, sigma_rev)
    fwd_moment, fwd_mode = at(forward_kl, mean, std), at(forward_kl, mu_rev, sigma_rev)
    checks = [
        Check.at_most(
            "forward KL: the engine's gradient (μ, log σ) vanishes at p's mean and std",
            moment_grad,
            1e-10,
        ),
        Check.at_least(
            "forward KL: the fit puts mass in the gap between the modes (q(0) / p(0))",
            float(np.exp(-(mean**2) / (2 * std**2)) / std) / float(p[200] * math.sqrt(2 * math.pi)),
            10.0,
        ),
        Check.at_most(
            "forward KL: no grid point beats the moment match (its KL minus the grid's best)",
            fwd_moment - float(fwd_table.min()),
            1e-9,
        ),
        Check.at_most(
            "reverse KL: the best fit sits on a mode (| |μ| − d |)", abs(abs(mu_rev) - d), 0.2
        ),
        Check.at_most(
            "reverse KL: with about one mode's width (σ / 0.5)", sigma_rev / MODE_STD, 1.5
        ),
        Check.at_most(
            f"reverse KL, close equal modes at ±{CLOSE_D:g} (p still bimodal): the best fit "
            "stays between them, covering both (|μ|)",
            abs(mu_close) if sigma_close > 1.5 * MODE_STD else float("nan"),
            0.2,
        ),
        Check.at_least(
            "reverse KL of the moment match over reverse KL of the mode fit",
            rev_moment / rev_mode,
            1.2,
        ),
        Check.at_least(
            "forward KL of the mode fit minus forward KL of the moment match",
            fwd_mode - fwd_moment,
            0.1,
        ),
        gradient_check(
            "analytic gradients of both KLs (μ, log σ) equal central differences",
            lambda m, s: forward_kl(m, s, p) + reverse_kl(m, s, log_p),
            [np.array(0.3 * d), np.array(math.log(0.8))],
            ["∂/∂μ", "∂/∂log σ"],
        ),
    ]

    def density(m: float, s: float) -> list[float]:
        return (np.exp(-((GRID - m) ** 2) / (2 * s * s)) / (s * math.sqrt(2 * math.pi))).tolist()

    xs = GRID[::4].tolist()
    charts = [
        Chart(
            "Target p and the two Gaussian fits",
            "x",
            "density",
            [
                Series("target p (two modes)", xs, p[::4].tolist()),
                Series("argmin KL(p‖q): covers", xs, density(mean, std)[::4]),
                Series("argmin KL(q‖p): seeks", xs, density(mu_rev, sigma_rev)[::4]),
            ],
        )
    ]
    steps = [
        Step("mixture weight of the left mode", weight),
        Step(
            "forward-KL fit (μ, σ)",
            f"({mean:.3f}, {std:.3f})",
            r"\mu = \mathbb{E}_p[x],\ \sigma^2 = \mathrm{Var}_p[x]",
        ),
        Step(
            "reverse-KL fit (μ, σ)",
            f"({mu_rev:.3f}, {sigma_rev:.3f})",
            r"\arg\min_{\mu,\sigma} \mathrm{KL}(q\,\|\,p)",
        ),
        Step(
            f"reverse-KL fit (μ, σ), equal modes at ±{CLOSE_D:g}",
            f"({mu_close:.3f}, {sigma_close:.3f})",
            note="too close to seek one mode: q covers both",
        ),
        Step("KL(q‖p): moment match, mode fit", f"{rev_moment:.3f}, {rev_mode:.3f}"),
        Step("KL(p‖q) − H(p): moment match, mode fit", f"{fwd_moment:.3f}, {fwd_mode:.3f}"),
    ]
    return Demo(
        name="kl_direction",
        title="Forward vs reverse KL: mode covering and mode seeking",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Modes at ±{d:g}: KL(p‖q) fits μ = {mean:.2f}, σ = {std:.2f}, mass between the modes "
            f"where p has almost none; KL(q‖p) fits μ = {mu_rev:.2f}, σ = {sigma_rev:.2f}, "
            "one mode."
        ),
    )
