"""The init_norm deck's exercise kinds: each registers on import.

init_variance: Xavier's and He's variances and what they do to one layer's signal.
batchnorm_forward: one feature through batch norm in training mode (ε = 0).
batchnorm_dx: the gradients of that layer, mean terms included.
running_stats_update: one update of the running mean and variance, PyTorch's convention.
norm_statistics: the means and RMS that batch, layer and RMS norm take, each on its axes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import BatchNorm1d, Tensor, batch_norm, init, no_grad
from app.exercises.base import AnswerField, Exercise, Given, Mistake, register
from app.exercises.text import number

# --- init_variance ---------------------------------------------------------------------------

# fan_in whose He std √(2/fan_in) is a short decimal, and fan_out with 800/(fan_in + fan_out) an
# integer, so Xavier's variance 2/(fan_in + fan_out) is a multiple of 1/400.
HE_FANS = (8, 32, 50, 200)
FAN_PAIRS = [
    (fi, fo)
    for fi in HE_FANS
    for fo in range(2, 800)
    if fo != fi and 800 % (fi + fo) == 0 and fi + fo <= 400
]


def _xavier(v: Mapping[str, Any]) -> tuple[float, float]:
    return float(v["fan_in"]), float(v["fan_out"])


INIT_MISTAKES = (
    Mistake(
        "xavier_fan_in_only",
        "gave Xavier the fan-in variance 1/fan_in (fan_out ignored)",
        lambda v: {"xavier_var": 1 / _xavier(v)[0]},
    ),
    Mistake(
        "xavier_sum_not_mean",
        "used 1/(fan_in + fan_out): the average of the fans lost its factor 2",
        lambda v: {"xavier_var": 1 / sum(_xavier(v))},
    ),
    Mistake(
        "he_no_factor_2",
        "forgot He's factor 2 for ReLU: Var = 1/fan_in",
        lambda v: {"he_var": 1 / _xavier(v)[0], "he_std": 1 / math.sqrt(_xavier(v)[0])},
    ),
    Mistake(
        "std_for_variance",
        "gave the variance 2/fan_in where the standard deviation was asked",
        lambda v: {"he_std": 2 / _xavier(v)[0]},
    ),
    Mistake(
        "gains_swapped",
        "multiplied the forward variance by fan_out and the backward by fan_in",
        lambda v: {
            "forward_gain": 2 * _xavier(v)[1] / sum(_xavier(v)),
            "backward_gain": 2 * _xavier(v)[0] / sum(_xavier(v)),
        },
    ),
)


@register(
    "init_variance",
    "Xavier and He variances",
    "Var(w) for Xavier and He, and the factor one layer applies to each pass's variance.",
    INIT_MISTAKES,
)
def init_variance(rng: np.random.Generator, seed: int) -> Exercise:
    """A (fan_out × fan_in) weight: Xavier's and He's variance, and Xavier's two gains."""
    fan_in, fan_out = FAN_PAIRS[int(rng.integers(len(FAN_PAIRS)))]
    weight = np.empty((fan_out, fan_in))
    fi, fo = init._calculate_fan_in_and_fan_out(weight)  # the engine's reading of the shape
    xavier_var = init.calculate_gain("linear") ** 2 * 2.0 / (fi + fo)
    he_std = init._kaiming_std(weight, 0.0, "fan_in", "relu")
    assert he_std is not None
    he_var = he_std**2
    forward, backward = fi * xavier_var, fo * xavier_var
    prompt = (
        f"A linear layer has a weight $W \\in \\mathbb{{R}}^{{{fo}\\times{fi}}}$ "
        f"(fan_in = {fi}, fan_out = {fo}). Give Xavier's (Glorot's) variance "
        "$\\operatorname{Var}(w)$, He's variance and standard deviation for a ReLU layer "
        "(mode fan_in), and, under Xavier, the factor by which the layer multiplies the "
        "activations' variance going forward "
        "($n_\\text{in}\\operatorname{Var}(w)$) and the gradients' variance going backward "
        "($n_\\text{out}\\operatorname{Var}(w)$)."
    )
    steps = (
        Step("Xavier", xavier_var, r"\operatorname{Var}(w) = \frac{2}{n_\text{in} + n_\text{out}}"),
        Step("He (ReLU, fan_in)", he_var, r"\operatorname{Var}(w) = \frac{2}{n_\text{in}}"),
        Step("He standard deviation", he_std, r"\sigma = \sqrt{2 / n_\text{in}}"),
        Step("forward factor", forward, r"n_\text{in}\operatorname{Var}(w)"),
        Step("backward factor", backward, r"n_\text{out}\operatorname{Var}(w)"),
    )
    return Exercise(
        kind="init_variance",
        seed=seed,
        title="Xavier and He variances",
        prompt=prompt,
        given=(
            Given("fan_in", r"n_\text{in}", np.asarray(float(fi))),
            Given("fan_out", r"n_\text{out}", np.asarray(float(fo))),
        ),
        fields=(
            AnswerField("xavier_var", r"\operatorname{Var}_\text{Xavier}(w)", ()),
            AnswerField("he_var", r"\operatorname{Var}_\text{He}(w)", ()),
            AnswerField("he_std", r"\sigma_\text{He}", ()),
            AnswerField("forward_gain", r"n_\text{in}\operatorname{Var}(w)", ()),
            AnswerField("backward_gain", r"n_\text{out}\operatorname{Var}(w)", ()),
        ),
        solution={
            "xavier_var": np.asarray(xavier_var),
            "he_var": np.asarray(he_var),
            "he_std": np.asarray(he_std),
            "forward_gain": np.asarray(forward),
            "backward_gain": np.asarray(backward),
        },
        steps=steps,
        atol=1e-4,
    )


# --- batch norm: forward and backward ----------------------------------------------------------

# Four integers with sum 0 whose mean square is q² with q dividing 400, so x̂ = v/q is a short
# decimal: up to scaling and order, a search of |v_i| ≤ 30 finds only these two.
# (−7, −1, 1, 7) has mean square 25, so x̂ = (−1.4, −0.2, 0.2, 1.4).
PATTERNS = [(-1, -1, 1, 1), (-7, -1, 1, 7)]


def _feature(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """x = μ + c·v (v a pattern, shuffled) and its standard deviation c·q."""
    v = np.array(PATTERNS[int(rng.integers(len(PATTERNS)))], dtype=np.float64)
    rng.shuffle(v)
    q = math.sqrt(float(np.mean(v * v)))
    c = float(rng.choice([0.5, 1.0, 2.0]))
    mu = float(rng.integers(-3, 4))
    return mu + c * v, c * q


def _stats(v: Mapping[str, Any]) -> tuple[np.ndarray, float, float]:
    x = np.asarray(v["x"], dtype=np.float64)
    return x, float(x.mean()), float(x.var())


BN_FORWARD_MISTAKES = (
    Mistake(
        "unbiased_variance",
        "divided by m − 1: the training forward pass uses the biased variance",
        lambda v: {"var": _stats(v)[2] * 4 / 3},
    ),
    Mistake(
        "divided_by_variance",
        "divided x − μ by the variance instead of the standard deviation",
        lambda v: {"xhat": (_stats(v)[0] - _stats(v)[1]) / _stats(v)[2]},
    ),
    Mistake(
        "affine_forgotten",
        "stopped at x̂: forgot y = γx̂ + β",
        lambda v: {"y": (_stats(v)[0] - _stats(v)[1]) / math.sqrt(_stats(v)[2])},
    ),
    Mistake(
        "affine_order",
        "added β before scaling: γ(x̂ + β)",
        lambda v: {
            "y": float(v["gamma"])
            * ((_stats(v)[0] - _stats(v)[1]) / math.sqrt(_stats(v)[2]) + float(v["beta"]))
        },
    ),
)


@register(
    "batchnorm_forward",
    "Batch norm forward",
    "One feature over a batch of four: mean, biased variance, x̂ and γx̂ + β.",
    BN_FORWARD_MISTAKES,
)
def batchnorm_forward(rng: np.random.Generator, seed: int) -> Exercise:
    """A batch of four values of one feature, γ and β; ε = 0."""
    x, _ = _feature(rng)
    gamma = float(rng.choice([0.5, 2.0, 3.0, -1.0]))
    beta = float(rng.choice([-2.0, -1.0, 1.0, 2.0, 0.5]))
    column = x.reshape(4, 1)
    xhat = batch_norm(Tensor(column), None, None, training=True, eps=0.0).data.reshape(4)
    y = batch_norm(Tensor(column), None, None, [gamma], [beta], training=True, eps=0.0).data
    mean, var = float(Tensor(x).mean().item()), float(Tensor(x).var(correction=0).item())
    values = ", ".join(number(a) for a in x)
    prompt = (
        f"A batch-norm layer in training mode sees one feature over a batch of $m = 4$: "
        f"$x = ({values})$, with $\\gamma = {number(gamma)}$, $\\beta = {number(beta)}$ and "
        "$\\epsilon = 0$. Compute the batch mean $\\mu$, the variance $\\sigma^2$ the layer "
        "normalises with, $\\hat x = (x - \\mu)/\\sigma$ and $y = \\gamma\\hat x + \\beta$."
    )
    steps = (
        Step("μ", mean, r"\mu = \tfrac1m \sum_i x_i"),
        Step("σ² (biased)", var, r"\sigma^2 = \tfrac1m \sum_i (x_i - \mu)^2"),
        Step("x̂", xhat, r"\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}"),
        Step("y", y.reshape(4), r"y = \gamma \hat x + \beta"),
    )
    return Exercise(
        kind="batchnorm_forward",
        seed=seed,
        title="Batch norm forward",
        prompt=prompt,
        given=(
            Given("x", "x", x),
            Given("gamma", r"\gamma", np.asarray(gamma)),
            Given("beta", r"\beta", np.asarray(beta)),
        ),
        fields=(
            AnswerField("mean", r"\mu", ()),
            AnswerField("var", r"\sigma^2", ()),
            AnswerField("xhat", r"\hat x", (4,)),
            AnswerField("y", "y", (4,)),
        ),
        solution={
            "mean": np.asarray(mean),
            "var": np.asarray(var),
            "xhat": np.asarray(xhat, dtype=np.float64),
            "y": np.asarray(y.reshape(4), dtype=np.float64),
        },
        steps=steps,
    )


def _backward_parts(v: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(x̂, g, γ, σ) from the givens."""
    x = np.asarray(v["x"], dtype=np.float64)
    sigma = float(x.std())
    return (x - x.mean()) / sigma, np.asarray(v["g"], dtype=np.float64), float(v["gamma"]), sigma


def _no_mean_terms(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
    _, g, gamma, sigma = _backward_parts(v)
    return {"dx": gamma * g / sigma}


def _variance_term_forgotten(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
    _, g, gamma, sigma = _backward_parts(v)
    return {"dx": gamma / sigma * (g - g.mean())}


def _gamma_forgotten(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
    xhat, g, _, sigma = _backward_parts(v)
    return {"dx": (g - g.mean() - xhat * (g * xhat).mean()) / sigma}


BN_DX_MISTAKES = (
    Mistake(
        "no_mean_terms",
        "treated the normalisation as a fixed scaling: dx = γ·g/σ",
        _no_mean_terms,
    ),
    Mistake(
        "variance_term_forgotten",
        "kept the mean term but dropped x̂·mean(g x̂), the path through σ",
        _variance_term_forgotten,
    ),
    Mistake(
        "dgamma_sum_g",
        "gave γ the bias's gradient Σ g (the x̂ factor forgotten)",
        lambda v: {"dgamma": float(_backward_parts(v)[1].sum())},
    ),
    Mistake("gamma_forgotten", "left γ out of dx", _gamma_forgotten),
)


def _friendly(values: np.ndarray) -> bool:
    scaled = np.asarray(values) * 400
    return bool(np.allclose(scaled, np.round(scaled), atol=1e-6) and np.all(np.abs(values) <= 100))


@register(
    "batchnorm_dx",
    "Batch norm backward",
    "dβ, dγ and dx of one batch-normalised feature, with both mean terms.",
    BN_DX_MISTAKES,
)
def batchnorm_dx(rng: np.random.Generator, seed: int) -> Exercise:
    """x (four values), the upstream gradient g and γ; ε = 0, training mode."""
    for _ in range(1000):
        x, sigma = _feature(rng)
        g = rng.integers(-3, 4, size=4).astype(np.float64)
        gamma = float(rng.choice([0.5, 2.0, 3.0]))
        xt = Tensor(x.reshape(4, 1), requires_grad=True)
        w, b = Tensor([gamma], requires_grad=True), Tensor([0.0], requires_grad=True)
        batch_norm(xt, None, None, w, b, training=True, eps=0.0).backward(gradient=g.reshape(4, 1))
        assert xt.grad is not None and w.grad is not None and b.grad is not None
        dx, dgamma, dbeta = xt.grad.reshape(4), float(w.grad[0]), float(b.grad[0])
        if _friendly(dx) and np.any(np.abs(dx) > 1e-9) and _friendly(np.asarray(dgamma)):
            break
    xhat = (x - x.mean()) / sigma
    values = ", ".join(number(a) for a in x)
    grads = ", ".join(number(a) for a in g)
    prompt = (
        f"A batch-norm layer (training mode, $\\epsilon = 0$, $\\gamma = {number(gamma)}$) saw one "
        f"feature over a batch of four, $x = ({values})$, and receives the upstream gradient "
        f"$g = \\partial L/\\partial y = ({grads})$. Compute $\\partial L/\\partial\\beta$, "
        "$\\partial L/\\partial\\gamma$ and $\\partial L/\\partial x$."
    )
    steps = (
        Step("σ", sigma, r"\sigma = \sqrt{\tfrac1m \sum_i (x_i - \mu)^2}"),
        Step("x̂", xhat, r"\hat x = (x - \mu)/\sigma"),
        Step("dβ = Σ g", dbeta, r"\partial L/\partial\beta = \sum_i g_i"),
        Step("dγ = Σ g x̂", dgamma, r"\partial L/\partial\gamma = \sum_i g_i \hat x_i"),
        Step(
            "dx",
            dx,
            r"\frac{\partial L}{\partial x} = \frac{\gamma}{\sigma}"
            r"\big(g - \overline{g} - \hat x\,\overline{g\hat x}\big)",
        ),
    )
    return Exercise(
        kind="batchnorm_dx",
        seed=seed,
        title="Batch norm backward",
        prompt=prompt,
        given=(
            Given("x", "x", x),
            Given("g", "g", g),
            Given("gamma", r"\gamma", np.asarray(gamma)),
        ),
        fields=(
            AnswerField("dbeta", r"\partial L/\partial\beta", ()),
            AnswerField("dgamma", r"\partial L/\partial\gamma", ()),
            AnswerField("dx", r"\partial L/\partial x", (4,)),
        ),
        solution={
            "dbeta": np.asarray(dbeta),
            "dgamma": np.asarray(dgamma),
            "dx": np.asarray(dx, dtype=np.float64),
        },
        steps=steps,
    )


# --- running statistics ------------------------------------------------------------------------


def _batch(v: Mapping[str, Any]) -> tuple[np.ndarray, float, float, float]:
    x = np.asarray(v["x"], dtype=np.float64)
    return x, float(v["momentum"]), float(v["running_mean"]), float(v["running_var"])


def _swapped(v: Mapping[str, Any]) -> dict[str, float]:
    x, m, rm, rv = _batch(v)
    return {
        "new_mean": m * rm + (1 - m) * float(x.mean()),
        "new_var": m * rv + (1 - m) * float(x.var(ddof=1)),
    }


def _biased(v: Mapping[str, Any]) -> dict[str, float]:
    x, m, _, rv = _batch(v)
    return {"batch_var": float(x.var()), "new_var": (1 - m) * rv + m * float(x.var())}


RUNNING_MISTAKES = (
    Mistake(
        "momentum_swapped",
        "weighted the old value by momentum: momentum·running + (1 − momentum)·batch "
        "(the Keras/TensorFlow convention, not PyTorch's)",
        _swapped,
    ),
    Mistake(
        "biased_variance",
        "stored the biased batch variance; PyTorch's running_var uses the unbiased one",
        _biased,
    ),
)


@register(
    "running_stats_update",
    "Batch norm running statistics",
    "One training step's update of running_mean and running_var, as PyTorch does it.",
    RUNNING_MISTAKES,
)
def running_stats_update(rng: np.random.Generator, seed: int) -> Exercise:
    """Five values of one feature, the running statistics before, and the momentum."""
    x = rng.integers(-3, 7, size=5).astype(np.float64)
    momentum = float(rng.choice([0.1, 0.2, 0.25]))
    running_mean = float(rng.integers(-2, 3))
    running_var = float(rng.choice([0.5, 1.0, 2.0, 4.0]))
    layer = BatchNorm1d(1, momentum=momentum)
    assert layer.running_mean is not None and layer.running_var is not None
    layer.running_mean[...] = running_mean
    layer.running_var[...] = running_var
    with no_grad():
        layer(Tensor(x.reshape(5, 1)))
    new_mean, new_var = float(layer.running_mean[0]), float(layer.running_var[0])
    batch_mean = float(Tensor(x).mean().item())
    batch_var = float(Tensor(x).var(correction=1).item())
    values = ", ".join(number(a) for a in x)
    prompt = (
        "A `BatchNorm1d` layer in training mode (PyTorch's convention) has "
        f"`running_mean` $= {number(running_mean)}$, `running_var` $= {number(running_var)}$ and "
        f"`momentum` $= {number(momentum)}$. It sees one feature over a batch of five: "
        f"$x = ({values})$. Give the batch mean, the batch variance that goes into "
        "`running_var`, and the new `running_mean` and `running_var`."
    )
    steps = (
        Step("batch mean", batch_mean),
        Step("unbiased batch variance", batch_var, r"s^2 = \tfrac{1}{m-1}\sum_i (x_i - \bar x)^2"),
        Step("new running_mean", new_mean, r"(1 - m)\,\hat\mu + m\,\bar x"),
        Step("new running_var", new_var, r"(1 - m)\,\hat v + m\,s^2"),
    )
    return Exercise(
        kind="running_stats_update",
        seed=seed,
        title="Batch norm running statistics",
        prompt=prompt,
        given=(
            Given("x", "x", x),
            Given("momentum", "m", np.asarray(momentum)),
            Given("running_mean", r"\hat\mu", np.asarray(running_mean)),
            Given("running_var", r"\hat v", np.asarray(running_var)),
        ),
        fields=(
            AnswerField("batch_mean", r"\bar x", ()),
            AnswerField("batch_var", r"s^2", ()),
            AnswerField("new_mean", r"\hat\mu_\text{new}", ()),
            AnswerField("new_var", r"\hat v_\text{new}", ()),
        ),
        solution={
            "batch_mean": np.asarray(batch_mean),
            "batch_var": np.asarray(batch_var),
            "new_mean": np.asarray(new_mean),
            "new_var": np.asarray(new_var),
        },
        steps=steps,
    )


# --- which axes each norm averages over --------------------------------------------------------

# Rows of four integers whose mean square is a perfect square, so the RMS is a whole number:
# (5, 3, 1, 1) has mean square 9 and RMS 3. Signs and order are drawn per row.
RMS_ROWS = [(1, 1, 1, 1), (2, 0, 0, 0), (5, 3, 1, 1), (2, 2, 2, 2), (4, 0, 0, 0)]


def _matrix(v: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(v["X"], dtype=np.float64)


def _row_std(v: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {"rms": _matrix(v).std(axis=1)}


AXES_MISTAKES = (
    Mistake(
        "axes_swapped",
        "took batch norm's means along each row and layer norm's down each column",
        lambda v: {"bn_mean": _matrix(v).mean(axis=1), "ln_mean": _matrix(v).mean(axis=0)},
    ),
    Mistake(
        "rms_is_std",
        "subtracted the mean before the root mean square: that is layer norm's σ, not RMS",
        _row_std,
    ),
    Mistake(
        "rms_without_root",
        "gave the mean of the squares without the square root",
        lambda v: {"rms": (_matrix(v) ** 2).mean(axis=1)},
    ),
)


@register(
    "norm_statistics",
    "Batch, layer and RMS norm statistics",
    "On one 4×4 batch: batch norm's means per feature, layer norm's per example, RMS per example.",
    AXES_MISTAKES,
)
def norm_statistics(rng: np.random.Generator, seed: int) -> Exercise:
    """X (4 examples × 4 features): the statistics each normalisation takes, on its own axes."""
    rows = []
    for _ in range(4):
        row = np.array(RMS_ROWS[int(rng.integers(len(RMS_ROWS)))], dtype=np.float64)
        row *= rng.choice([-1.0, 1.0], size=4)
        rng.shuffle(row)
        rows.append(row)
    x = np.vstack(rows)
    xt = Tensor(x)
    bn_mean = xt.mean(axis=0).data  # one statistic per feature, over the batch
    ln_mean = xt.mean(axis=1).data  # one per example, over its features
    rms = ((xt * xt).mean(axis=1)).sqrt().data
    shown = " \\\\ ".join(" & ".join(number(a) for a in row) for row in x)
    prompt = (
        "A batch of four examples with four features each is "
        f"$X = \\begin{{pmatrix}} {shown} \\end{{pmatrix}}$ (rows are examples). Give the means "
        "batch norm subtracts (one per feature), the means layer norm subtracts (one per "
        "example), and the root mean square RMS norm divides each example by "
        "($\\epsilon = 0$)."
    )
    steps = (
        Step("batch norm: mean of each column", bn_mean, r"\mu_j = \tfrac1N \sum_i X_{ij}"),
        Step("layer norm: mean of each row", ln_mean, r"\mu_i = \tfrac1D \sum_j X_{ij}"),
        Step("RMS norm: root mean square of each row", rms, r"\sqrt{\tfrac1D \sum_j X_{ij}^2}"),
    )
    return Exercise(
        kind="norm_statistics",
        seed=seed,
        title="Batch, layer and RMS norm statistics",
        prompt=prompt,
        given=(Given("X", "X", x, note="rows are examples, columns features"),),
        fields=(
            AnswerField("bn_mean", r"\mu^\text{BN}", (4,)),
            AnswerField("ln_mean", r"\mu^\text{LN}", (4,)),
            AnswerField("rms", r"\mathrm{rms}", (4,)),
        ),
        solution={
            "bn_mean": np.asarray(bn_mean, dtype=np.float64),
            "ln_mean": np.asarray(ln_mean, dtype=np.float64),
            "rms": np.asarray(rms, dtype=np.float64),
        },
        steps=steps,
    )
