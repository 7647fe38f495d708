"""The activations deck's exercise kinds: each registers on import.

leaky_relu_backward, softplus_slope, collapsed_linear_map, glu_backward and relu_pieces: small
integers and chosen outputs (σ = 0.2, 0.25, 0.5, …) so every answer is a short decimal, the
engine computing each solution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import Tensor, jacobian, leaky_relu, linear, relu, sigmoid, softplus
from app.exercises.base import AnswerField, Exercise, Given, Mistake, Numbers, register
from app.exercises.text import number

SLOPES = [0.1, 0.2, 0.25, 0.5]


def _grad(fn: Any, x: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    t = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    fn(t).backward(gradient=upstream)
    assert t.grad is not None
    return np.asarray(t.grad, dtype=np.float64)


# --- leaky_relu_backward -----------------------------------------------------------------------
def _leaky_slope(z: np.ndarray, a: float) -> np.ndarray:
    return np.asarray(np.where(z > 0, 1.0, a))


LEAKY_MISTAKES = (
    Mistake(
        "relu_mask",
        "blocked the negative side as ReLU does: slope 0 instead of a",
        lambda v: {
            "slope": (v["Z"] > 0).astype(float),
            "dZ": v["G"] * (v["Z"] > 0),
        },
    ),
    Mistake(
        "one_at_zero",
        "gave slope 1 at z = 0 (PyTorch's leaky_relu uses a there)",
        lambda v: (
            {
                "slope": np.where(v["Z"] >= 0, 1.0, float(v["a"])),
                "dZ": v["G"] * np.where(v["Z"] >= 0, 1.0, float(v["a"])),
            }
            if np.any(v["Z"] == 0)
            else {}
        ),
    ),
    Mistake(
        "slopes_swapped",
        "used a on the positive side and 1 on the negative side",
        lambda v: {
            "slope": np.where(v["Z"] > 0, float(v["a"]), 1.0),
            "dZ": v["G"] * np.where(v["Z"] > 0, float(v["a"]), 1.0),
        },
    ),
    Mistake(
        "upstream_forgotten",
        "passed back the local slope alone, without multiplying by G",
        lambda v: {"dZ": _leaky_slope(v["Z"], float(v["a"]))},
    ),
)


@register(
    "leaky_relu_backward",
    "Leaky ReLU backward",
    "The local slope of a leaky ReLU (1 or a) and the gradient it passes back.",
    LEAKY_MISTAKES,
)
def leaky_relu_backward(rng: np.random.Generator, seed: int) -> Exercise:
    """Z with small integers (some exactly 0), upstream G, slope a; the slope matrix and dZ."""
    numbers = Numbers(rng)
    z = numbers.ints((2, 3), -3, 3)
    g = numbers.nonzero_ints((2, 3), -3, 3)
    a = numbers.pick(SLOPES)
    slope = _grad(lambda t: leaky_relu(t, a), z, np.ones_like(z))
    dz = _grad(lambda t: leaky_relu(t, a), z, g)
    prompt = (
        f"A layer applies $H = \\mathrm{{leaky\\_relu}}(Z)$ with negative slope $a = {number(a)}$, "
        "as PyTorch defines it: $h = z$ for $z > 0$ and $h = a z$ otherwise (so the slope at "
        "$z = 0$ is $a$). Give the local slope $\\partial h/\\partial z$ entry by entry, then "
        "$\\partial L/\\partial Z$ for the upstream gradient $G = \\partial L/\\partial H$."
    )
    return Exercise(
        kind="leaky_relu_backward",
        seed=seed,
        title="Leaky ReLU backward",
        prompt=prompt,
        given=(
            Given("Z", "Z", z),
            Given("G", r"G = \partial L/\partial H", g),
            Given("a", "a", np.asarray(a), note="the negative slope"),
        ),
        fields=(
            AnswerField("slope", r"\partial h/\partial z", (2, 3)),
            AnswerField("dZ", r"\partial L/\partial Z", (2, 3)),
        ),
        solution={"slope": slope, "dZ": dz},
        steps=(
            Step("slope: 1 where z > 0, a where z ≤ 0", slope, r"s = [z > 0] + a\,[z \le 0]"),
            Step("∂L/∂Z = G ⊙ slope", dz, r"\partial L/\partial Z = G \odot s"),
        ),
    )


# --- softplus_slope ----------------------------------------------------------------------------
# βx = ln k for these k gives σ(βx) = k / (1 + k): 0.1, 0.2, 0.25, 0.5, 0.75, 0.8, 0.9.
RATIOS = [1 / 9, 1 / 4, 1 / 3, 1.0, 3.0, 4.0, 9.0]


def _sig(t: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-t)))


SOFTPLUS_MISTAKES = (
    Mistake(
        "extra_beta",
        "kept the chain rule's β: β σ(βx), although softplus divides by β",
        lambda v: (
            {
                "slope": float(v["beta"]) * _sig(float(v["beta"]) * v["x"]),
                "dx": v["g"] * float(v["beta"]) * _sig(float(v["beta"]) * v["x"]),
            }
            if float(v["beta"]) != 1
            else {}
        ),
    ),
    Mistake(
        "sigmoid_derivative",
        "used σ′ = σ(1 − σ), the derivative of the sigmoid, instead of σ itself",
        lambda v: {
            "slope": _sig(float(v["beta"]) * v["x"]) * (1 - _sig(float(v["beta"]) * v["x"]))
        },
    ),
    Mistake(
        "sign_flipped",
        "wrote σ(−βx) for the slope",
        lambda v: {"slope": _sig(-float(v["beta"]) * v["x"])},
    ),
)


@register(
    "softplus_slope",
    "Softplus slope",
    "softplus_β′(x) = σ(βx), at points where βx is the log of a small ratio.",
    SOFTPLUS_MISTAKES,
)
def softplus_slope(rng: np.random.Generator, seed: int) -> Exercise:
    """Three points x with βx = ln k; the slope σ(βx) and the gradient g ⊙ slope."""
    numbers = Numbers(rng)
    beta = numbers.pick([1.0, 2.0])
    ratios = np.array(rng.choice(RATIOS, size=3, replace=False))
    x = np.log(ratios) / beta
    g = numbers.nonzero_ints((3,), -2, 2) * 2
    slope = _grad(lambda t: softplus(t, beta=beta), x, np.ones(3))
    dx = _grad(lambda t: softplus(t, beta=beta), x, g)
    ks = ", ".join(
        f"\\ln {number(k)}" if k >= 1 else f"\\ln(1/{number(round(1 / k))})" for k in ratios
    )
    prompt = (
        "Let $h = \\mathrm{softplus}_\\beta(x) = "
        "\\frac{1}{\\beta}\\log(1 + e^{\\beta x})$ "
        f"with $\\beta = {number(beta)}$, applied elementwise at three points where "
        f"$\\beta x = ({ks})$. Give the slope $\\partial h/\\partial x$ at each point, then "
        "$\\partial L/\\partial x$ for the upstream gradient $g$. "
        "(Hint: $\\sigma(\\ln k) = k/(1+k)$.)"
    )
    return Exercise(
        kind="softplus_slope",
        seed=seed,
        title="Softplus slope",
        prompt=prompt,
        given=(
            Given("x", "x", x, note="βx is the log of a small ratio"),
            Given("beta", r"\beta", np.asarray(beta)),
            Given("g", r"g = \partial L/\partial h", g),
        ),
        fields=(
            AnswerField("slope", r"\partial h/\partial x", (3,)),
            AnswerField("dx", r"\partial L/\partial x", (3,)),
        ),
        solution={"slope": slope, "dx": dx},
        steps=(
            Step("slope = σ(βx)", slope, r"\mathrm{softplus}_\beta'(x) = \sigma(\beta x)"),
            Step("∂L/∂x = g ⊙ slope", dx),
        ),
    )


# --- collapsed_linear_map ----------------------------------------------------------------------
COLLAPSE_MISTAKES = (
    Mistake(
        "order_swapped",
        "multiplied W1 W2 instead of W2 W1",
        lambda v: {"W_eff": v["W1"] @ v["W2"]},
    ),
    Mistake(
        "b1_forgotten",
        "dropped the first bias: b_eff = b2",
        lambda v: {"b_eff": v["b2"]},
    ),
    Mistake(
        "b1_not_mapped",
        "added b1 without passing it through W2: b_eff = b1 + b2",
        lambda v: {"b_eff": v["b1"] + v["b2"]},
    ),
)


@register(
    "collapsed_linear_map",
    "Two linear layers are one",
    "Collapse h = W2(W1 x + b1) + b2 into W_eff x + b_eff.",
    COLLAPSE_MISTAKES,
)
def collapsed_linear_map(rng: np.random.Generator, seed: int) -> Exercise:
    """Two 2×2 layers of small integers, no activation; W_eff and b_eff by the engine."""
    numbers = Numbers(rng)
    w1, w2 = numbers.ints((2, 2), -2, 2), numbers.ints((2, 2), -2, 2)
    b1, b2 = numbers.ints((2,), -2, 2), numbers.ints((2,), -2, 2)

    def net(x: Tensor) -> Tensor:
        return linear(linear(x, Tensor(w1), Tensor(b1)), Tensor(w2), Tensor(b2))

    w_eff = np.asarray(jacobian(net, np.zeros(2)).matrix, dtype=np.float64)
    b_eff = np.asarray(net(Tensor(np.zeros(2))).data, dtype=np.float64)
    prompt = (
        "A network applies two linear layers with no activation between them: "
        "$h = W_2(W_1 x + b_1) + b_2$ with $x \\in \\mathbb{R}^2$. Write it as one layer "
        "$h = W_\\text{eff}\\,x + b_\\text{eff}$: give $W_\\text{eff}$ (2×2) and $b_\\text{eff}$."
    )
    return Exercise(
        kind="collapsed_linear_map",
        seed=seed,
        title="Two linear layers are one",
        prompt=prompt,
        given=(
            Given("W1", "W_1", w1),
            Given("b1", "b_1", b1),
            Given("W2", "W_2", w2),
            Given("b2", "b_2", b2),
        ),
        fields=(
            AnswerField("W_eff", r"W_\text{eff}", (2, 2)),
            AnswerField("b_eff", r"b_\text{eff}", (2,)),
        ),
        solution={"W_eff": w_eff, "b_eff": b_eff},
        steps=(
            Step("W_eff = W2 W1 (the Jacobian, the same at every x)", w_eff, r"W_2 W_1"),
            Step("b_eff = W2 b1 + b2 (the output at x = 0)", b_eff, r"W_2 b_1 + b_2"),
        ),
    )


# --- glu_backward ------------------------------------------------------------------------------
GATES = [0.2, 0.25, 0.5, 0.75, 0.8]

GLU_MISTAKES = (
    Mistake(
        "value_forgotten",
        "dropped the value from the gate's gradient: ∂L/∂a = g ⊙ σ′(a)",
        lambda v: {"da": v["g"] * v["s"] * (1 - v["s"])},
    ),
    Mistake(
        "gate_value_not_slope",
        "used the gate's value σ(a) where its slope σ′(a) belongs: ∂L/∂a = g ⊙ v ⊙ σ(a)",
        lambda v: {"da": v["g"] * v["v"] * v["s"]},
    ),
    Mistake(
        "value_passthrough",
        "passed g to the value branch unchanged, ignoring the gate",
        lambda v: {"dv": v["g"]},
    ),
    Mistake(
        "branches_swapped",
        "scaled each branch by itself: ∂L/∂v = g ⊙ v",
        lambda v: {"dv": v["g"] * v["v"]},
    ),
)


@register(
    "glu_backward",
    "Gated linear unit backward",
    "Backward through h = v ⊙ σ(a): each branch is scaled by the other.",
    GLU_MISTAKES,
)
def glu_backward(rng: np.random.Generator, seed: int) -> Exercise:
    """Gate outputs s = σ(a) chosen from short decimals, values v and upstream g integers."""
    numbers = Numbers(rng)
    s = np.array(rng.choice(GATES, size=3))
    v = numbers.nonzero_ints((3,), -3, 3)
    g = numbers.nonzero_ints((3,), -2, 2)
    a0 = np.log(s / (1 - s))  # the pre-activations whose gates are exactly s
    at, vt = Tensor(a0, requires_grad=True), Tensor(v, requires_grad=True)
    (vt * sigmoid(at)).backward(gradient=g)
    assert at.grad is not None and vt.grad is not None
    da, dv = np.asarray(at.grad), np.asarray(vt.grad)
    prompt = (
        "A gated linear unit computes $h = v \\odot \\sigma(a)$ elementwise (the value $v$, the "
        "gate $\\sigma(a)$). The gate's outputs $s = \\sigma(a)$ are given, so you do not need "
        "$a$. For the upstream gradient $g = \\partial L/\\partial h$, compute "
        "$\\partial L/\\partial v$ and $\\partial L/\\partial a$."
    )
    return Exercise(
        kind="glu_backward",
        seed=seed,
        title="Gated linear unit backward",
        prompt=prompt,
        given=(
            Given("v", "v", v),
            Given("s", r"s = \sigma(a)", s),
            Given("g", r"g = \partial L/\partial h", g),
        ),
        fields=(
            AnswerField("dv", r"\partial L/\partial v", (3,)),
            AnswerField("da", r"\partial L/\partial a", (3,)),
        ),
        solution={"dv": dv, "da": da},
        steps=(
            Step("∂L/∂v = g ⊙ σ(a)", dv, r"\partial L/\partial v = g \odot s"),
            Step("∂L/∂a = g ⊙ v ⊙ σ(a)(1 − σ(a))", da, r"g \odot v \odot s(1-s)"),
        ),
    )


# --- relu_pieces -------------------------------------------------------------------------------
def _right_slope(v: Mapping[str, Any]) -> float:
    w, out = v["w"], v["v"]
    return float(np.sum((w > 0) * w * out))


RELU_PIECES_MISTAKES = (
    Mistake(
        "units_as_pieces",
        "counted one piece per unit, forgetting that n kinks make n + 1 pieces",
        lambda v: {"pieces": np.asarray(float(len(v["w"])))},
    ),
    Mistake(
        "all_units_right",
        "summed v_i w_i over every unit for x → +∞, including units that are off there",
        lambda v: {"slope_right": np.asarray(float(np.sum(v["w"] * v["v"])))},
    ),
    Mistake(
        "left_like_right",
        "took the units with w_i > 0 for x → −∞ as well",
        lambda v: {"slope_left": np.asarray(_right_slope(v))},
    ),
)


@register(
    "relu_pieces",
    "Linear pieces of a ReLU layer",
    "Count the linear pieces of y = Σ v_i relu(w_i x + b_i) and its slopes at ±∞.",
    RELU_PIECES_MISTAKES,
)
def relu_pieces(rng: np.random.Generator, seed: int) -> Exercise:
    """Three units of small integers on a 1-D input: pieces counted from the engine's slopes."""
    numbers = Numbers(rng)
    w = numbers.nonzero_ints((3,), -2, 2)
    b = numbers.ints((3,), -3, 3)
    out = numbers.nonzero_ints((3,), -2, 2)

    def net(x: Tensor) -> Tensor:
        return linear(relu(linear(x, Tensor(w[:, None]), Tensor(b))), Tensor(out[None, :]))

    kinks = np.unique(-b / w)
    far = 1.0 + float(np.abs(kinks).max())
    probes = np.concatenate([[kinks[0] - far], (kinks[:-1] + kinks[1:]) / 2, [kinks[-1] + far]])
    slopes = _grad(net, probes[:, None], np.ones((probes.size, 1)))[:, 0]
    pieces = 1 + int(np.count_nonzero(np.abs(np.diff(slopes)) > 1e-9))
    kink_text = ", ".join(f"$x = {number(k)}$" for k in kinks)
    prompt = (
        "A one-hidden-layer ReLU network on a scalar input computes "
        "$y = \\sum_{i=1}^{3} v_i\\,\\mathrm{relu}(w_i x + b_i)$. How many linear pieces does "
        "$y(x)$ have on the whole real line (adjacent pieces must have different slopes), and "
        "what are its slopes $dy/dx$ as $x \\to +\\infty$ and as $x \\to -\\infty$?"
    )
    return Exercise(
        kind="relu_pieces",
        seed=seed,
        title="Linear pieces of a ReLU layer",
        prompt=prompt,
        given=(
            Given("w", "w", w),
            Given("b", "b", b),
            Given("v", "v", out),
        ),
        fields=(
            AnswerField("pieces", r"\text{pieces}", ()),
            AnswerField("slope_right", r"dy/dx\ (x \to +\infty)", ()),
            AnswerField("slope_left", r"dy/dx\ (x \to -\infty)", ()),
        ),
        solution={
            "pieces": np.asarray(float(pieces)),
            "slope_right": np.asarray(float(slopes[-1])),
            "slope_left": np.asarray(float(slopes[0])),
        },
        steps=(
            Step("kinks x = −b_i/w_i", kinks, note=kink_text),
            Step("slope on each side of the kinks (engine)", slopes),
            Step("pieces: 1 + number of slope changes", float(pieces)),
        ),
        atol=1e-6,
        rtol=0.0,
    )
