"""Exercise kinds of the optimization deck: one optimiser step (or two) by hand, with PyTorch's
update rules, each solution computed by the engine's optimizer or clipping function.

Every kind rejects the classic slips of its rule: momentum as an exponential average, Adam's L2
penalty mistaken for AdamW's decoupled decay, 1/λ_max for the stability limit, per-tensor
clipping instead of clipping the global norm.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.demos.base import Step
from app.engine import SGD, Adam, AdamW, Tensor, hessian, optim
from app.exercises.base import AnswerField, Exercise, Given, Mistake, Numbers, register
from app.exercises.text import number, poly

EPS = 0.0  # the exercise sets Adam's ε to 0, so the answers are exact decimals


def _vector(values: np.ndarray) -> str:
    return "(" + ", ".join(number(v) for v in np.asarray(values).ravel()) + ")"


# --- SGD with momentum, two steps --------------------------------------------------------------
def _momentum_by_hand(
    v: Mapping[str, Any], *, ema: bool = False, mu_on: bool = True, nesterov: bool = False
) -> dict[str, np.ndarray]:
    a, theta, lr, mu = v["a"], v["theta0"], float(v["lr"]), float(v["mu"]) if mu_on else 0.0
    g1 = a * theta
    b1 = (1 - mu) * g1 if ema else g1
    theta1 = theta - lr * (g1 + mu * b1 if nesterov else b1)
    g2 = a * theta1
    b2 = mu * b1 + ((1 - mu) if ema else 1.0) * g2
    theta2 = theta1 - lr * (g2 + mu * b2 if nesterov else b2)
    return {"b1": b1, "theta1": theta1, "b2": b2, "theta2": theta2}


MOMENTUM_MISTAKES = (
    Mistake(
        "no_momentum",
        "took plain SGD steps: the buffer is μb + g, not g alone",
        # Step 1 is the same either way (b₁ = g₁): the slip shows in step 2.
        lambda v: {k: x for k, x in _momentum_by_hand(v, mu_on=False).items() if k.endswith("2")},
    ),
    Mistake(
        "ema_momentum",
        "used b ← μb + (1 − μ)g: PyTorch's buffer adds g undamped (dampening = 0) and starts at g",
        lambda v: _momentum_by_hand(v, ema=True),
    ),
    Mistake(
        "nesterov_step",
        "stepped along g + μb (nesterov=True) instead of b",
        lambda v: {k: x for k, x in _momentum_by_hand(v, nesterov=True).items() if "theta" in k},
    ),
)


@register(
    "momentum_two_steps",
    "Two steps of SGD with momentum",
    "PyTorch's heavy ball on f = ½Σ aᵢθᵢ²: b ← μb + g (b₁ = g₁), θ ← θ − ηb.",
    MOMENTUM_MISTAKES,
)
def momentum_two_steps(rng: np.random.Generator, seed: int) -> Exercise:
    """θ ∈ R², f(θ) = ½(a₁θ₁² + a₂θ₂²); two steps of torch.optim.SGD(lr, momentum)."""
    numbers = Numbers(rng)
    a = rng.choice([1.0, 2.0, 4.0], size=2)
    theta0 = numbers.nonzero_ints((2,), -3, 3)
    lr = numbers.pick([0.1, 0.25, 0.5])
    mu = numbers.pick([0.5, 0.9])
    theta = Tensor(theta0.copy(), requires_grad=True)
    optimizer = SGD([theta], lr=lr, momentum=mu)
    seen = []
    for _ in range(2):
        optimizer.zero_grad()
        (Tensor(a) * theta * theta * 0.5).sum().backward()
        optimizer.step()
        seen.append((optimizer.state[theta]["momentum_buffer"].copy(), theta.data.copy()))
    (b1, theta1), (b2, theta2) = seen
    curvature = poly([(a[0], r"\theta_1^2"), (a[1], r"\theta_2^2")])
    prompt = (
        f"Minimise $f(\\theta) = \\tfrac12({curvature})$ "
        f"from $\\theta_0 = {_vector(theta0)}$ with PyTorch's `SGD(lr={number(lr)}, "
        f"momentum={number(mu)})` (dampening 0, no Nesterov). Give the momentum buffer $b$ and "
        "the parameters after each of the first two steps."
    )
    steps = (
        Step("g₁ = a ⊙ θ₀", a * theta0, r"g = \nabla f = a \odot \theta"),
        Step("b₁ = g₁ (the buffer starts as the first gradient)", b1),
        Step("θ₁ = θ₀ − η b₁", theta1),
        Step("g₂ = a ⊙ θ₁", a * theta1),
        Step("b₂ = μ b₁ + g₂", b2, r"b_2 = \mu b_1 + g_2"),
        Step("θ₂ = θ₁ − η b₂", theta2),
    )
    return Exercise(
        kind="momentum_two_steps",
        seed=seed,
        title="Two steps of SGD with momentum",
        prompt=prompt,
        given=(
            Given("a", "a", a, note="the curvatures: ∇f = a ⊙ θ"),
            Given("theta0", r"\theta_0", theta0),
            Given("lr", r"\eta", np.asarray(lr)),
            Given("mu", r"\mu", np.asarray(mu)),
        ),
        fields=(
            AnswerField("b1", "b_1", (2,)),
            AnswerField("theta1", r"\theta_1", (2,)),
            AnswerField("b2", "b_2", (2,)),
            AnswerField("theta2", r"\theta_2", (2,)),
        ),
        solution={"b1": b1, "theta1": theta1, "b2": b2, "theta2": theta2},
        steps=steps,
    )


# --- Adam + L2 against AdamW, first step -------------------------------------------------------
def _adam_l2_first(v: Mapping[str, Any]) -> np.ndarray:
    g = v["g"] + v["lam"] * v["theta"]
    return np.asarray(v["theta"] - v["lr"] * g / (np.abs(g) + EPS))


def _adamw_first(v: Mapping[str, Any], decay_factor: float | None = None) -> np.ndarray:
    factor = 1 - v["lr"] * v["lam"] if decay_factor is None else decay_factor
    return np.asarray(factor * v["theta"] - v["lr"] * v["g"] / (np.abs(v["g"]) + EPS))


ADAM_DECAY_MISTAKES = (
    Mistake(
        "swapped",
        "swapped the two: Adam's weight_decay is an L2 term in g, AdamW's decays θ directly",
        lambda v: {"theta_adam": _adamw_first(v), "theta_adamw": _adam_l2_first(v)},
    ),
    Mistake(
        "decay_without_lr",
        "decayed AdamW's θ by (1 − λ): the factor is 1 − γλ",
        lambda v: {"theta_adamw": _adamw_first(v, decay_factor=1 - float(v["lam"]))},
    ),
    Mistake(
        "sgd_step",
        "took an SGD step θ − γ(g + λθ): Adam's first step is γ·sign, whatever |g|",
        lambda v: {"theta_adam": v["theta"] - v["lr"] * (v["g"] + v["lam"] * v["theta"])},
    ),
)


@register(
    "adam_decay_first_step",
    "First step of Adam with L2 and of AdamW",
    "Adam adds λθ to g and steps γ·sign(g + λθ); AdamW shrinks θ by 1 − γλ, then steps γ·sign(g).",
    ADAM_DECAY_MISTAKES,
)
def adam_decay_first_step(rng: np.random.Generator, seed: int) -> Exercise:
    """θ, g ∈ R³; the first step of Adam(weight_decay=λ) and of AdamW(weight_decay=λ)."""
    numbers = Numbers(rng)
    lr = numbers.pick([0.1, 0.2])
    lam = numbers.pick([0.5, 1.0])
    for _ in range(1000):
        theta0 = numbers.nonzero_ints((3,), -4, 4)
        g = numbers.halves((3,), -2, 2)
        # Keep g + λθ well away from 0, so that its sign is unambiguous.
        if np.all(np.abs(g + lam * theta0) >= 0.5) and np.all(np.abs(g) >= 0.5):
            break
    results = {}
    for name, cls in (("theta_adam", Adam), ("theta_adamw", AdamW)):
        p = Tensor(theta0.copy(), requires_grad=True)
        p.grad = g.copy()
        cls([p], lr=lr, weight_decay=lam, eps=EPS).step()
        results[name] = p.data.copy()
    prompt = (
        f"A parameter $\\theta = {_vector(theta0)}$ gets its first gradient "
        f"$g = {_vector(g)}$. Give $\\theta$ after one step of `torch.optim.Adam(lr={number(lr)}, "
        f"weight_decay={number(lam)}, eps=0)` and, separately, after one step of "
        f"`torch.optim.AdamW(lr={number(lr)}, weight_decay={number(lam)}, eps=0)` (default "
        "betas)."
    )
    steps = (
        Step("Adam: g + λθ", g + lam * theta0, r"g \leftarrow g + \lambda\theta"),
        Step(
            "Adam: θ − γ·sign(g + λθ)",
            results["theta_adam"],
            r"\hat m_1/\sqrt{\hat v_1} = \mathrm{sign}",
        ),
        Step(
            "AdamW: (1 − γλ)θ",
            (1 - lr * lam) * theta0,
            r"\theta \leftarrow (1-\gamma\lambda)\theta",
        ),
        Step("AdamW: then − γ·sign(g)", results["theta_adamw"]),
    )
    return Exercise(
        kind="adam_decay_first_step",
        seed=seed,
        title="First step of Adam with L2 and of AdamW",
        prompt=prompt,
        given=(
            Given("theta", r"\theta", theta0),
            Given("g", "g", g),
            Given("lr", r"\gamma", np.asarray(lr)),
            Given("lam", r"\lambda", np.asarray(lam)),
        ),
        fields=(
            AnswerField("theta_adam", r"\theta_\text{Adam}", (3,)),
            AnswerField("theta_adamw", r"\theta_\text{AdamW}", (3,)),
        ),
        solution=results,
        steps=steps,
    )


# --- the stability limit -----------------------------------------------------------------------
ROTATIONS = (np.array([[0.6, -0.8], [0.8, 0.6]]), np.array([[0.8, -0.6], [0.6, 0.8]]))


def _eigs(v: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(np.linalg.eigvalsh(v["A"])[::-1])  # λ_max first


STABILITY_MISTAKES = (
    Mistake(
        "one_over_lambda",
        "took η < 1/λ_max: past 1/λ the iterates oscillate, but they diverge only past 2/λ_max",
        lambda v: {"lr_max": 1 / _eigs(v)[0]},
    ),
    Mistake(
        "lambda_min",
        "used the smallest eigenvalue: the steepest direction sets the limit",
        lambda v: {"lr_max": 2 / _eigs(v)[1]},
    ),
    Mistake(
        "diagonal_entry",
        "read λ_max off the diagonal of A: the eigenvalues are not the diagonal entries",
        lambda v: {
            "lambda_max": float(np.max(np.diag(v["A"]))),
            "lr_max": 2 / float(np.max(np.diag(v["A"]))),
        },
    ),
    Mistake(
        "one_plus",
        "wrote the per-step factor as 1 + ηλ: a gradient step subtracts ηλ",
        lambda v: {"factors": 1 + float(v["lr"]) * _eigs(v)},
    ),
)


@register(
    "lr_stability_limit",
    "The learning-rate stability limit",
    "Gradient descent on ½θᵀAθ scales each eigendirection by 1 − ηλ: stable iff η < 2/λ_max.",
    STABILITY_MISTAKES,
)
def lr_stability_limit(rng: np.random.Generator, seed: int) -> Exercise:
    """A = Q diag(λ) Qᵀ with a (3, 4, 5) rotation, so its entries are multiples of 1/25."""
    numbers = Numbers(rng)
    low, high = sorted(rng.choice([1.0, 2.0, 4.0, 5.0, 8.0, 10.0], size=2, replace=False))
    q = ROTATIONS[int(rng.integers(2))]
    a = q @ np.diag([high, low]) @ q.T
    lr = numbers.pick([0.1, 0.15, 0.3])
    h = hessian(lambda th: (th * (Tensor(a) @ th)).sum() * 0.5, np.zeros(2))
    eigs = np.linalg.eigvalsh(np.asarray(h))[::-1]
    lam_max = float(eigs[0])
    prompt = (
        "Gradient descent $\\theta \\leftarrow \\theta - \\eta\\nabla f$ runs on "
        "$f(\\theta) = \\tfrac12\\theta^\\top A\\theta$ with "
        f"$A = \\begin{{pmatrix}} {number(a[0, 0])} & {number(a[0, 1])} \\\\ {number(a[1, 0])} & "
        f"{number(a[1, 1])} \\end{{pmatrix}}$. Give $\\lambda_\\max$, the largest stable learning "
        "rate (the supremum of the stable $\\eta$), and, for "
        f"$\\eta = {number(lr)}$, the per-step factors $1 - \\eta\\lambda$ of the eigendirections "
        "(largest eigenvalue first)."
    )
    steps = (
        Step("Hessian of f (engine)", np.asarray(h), r"\nabla^2 f = A"),
        Step("eigenvalues, largest first", eigs),
        Step("largest stable η", 2 / lam_max, r"\eta < 2/\lambda_{\max}"),
        Step("factors 1 − ηλ", 1 - lr * eigs),
    )
    return Exercise(
        kind="lr_stability_limit",
        seed=seed,
        title="The learning-rate stability limit",
        prompt=prompt,
        given=(Given("A", "A", a), Given("lr", r"\eta", np.asarray(lr))),
        fields=(
            AnswerField("lambda_max", r"\lambda_{\max}", ()),
            AnswerField("lr_max", r"\eta_{\max} = 2/\lambda_{\max}", ()),
            AnswerField("factors", r"1 - \eta\lambda", (2,)),
        ),
        solution={
            "lambda_max": np.asarray(lam_max),
            "lr_max": np.asarray(2 / lam_max),
            "factors": 1 - lr * eigs,
        },
        steps=steps,
    )


# --- clipping by the global norm ---------------------------------------------------------------
def _norms(v: Mapping[str, Any]) -> tuple[float, float]:
    return float(np.linalg.norm(v["g1"])), float(np.linalg.norm(v["g2"]))


CLIP_MISTAKES = (
    Mistake(
        "per_tensor",
        "clipped each tensor to max_norm on its own: PyTorch uses one norm over all gradients",
        lambda v: {
            "g1_clipped": v["g1"] * min(1.0, float(v["max_norm"]) / _norms(v)[0]),
            "g2_clipped": v["g2"] * min(1.0, float(v["max_norm"]) / _norms(v)[1]),
        },
    ),
    Mistake(
        "by_value",
        "clamped each entry into [−max_norm, max_norm]: that is clip_grad_value_",
        lambda v: {
            "g1_clipped": np.clip(v["g1"], -v["max_norm"], v["max_norm"]),
            "g2_clipped": np.clip(v["g2"], -v["max_norm"], v["max_norm"]),
        },
    ),
    Mistake(
        "sum_of_norms",
        "added the tensors' norms: the total is the root of the sum of their squares",
        lambda v: {
            "total_norm": sum(_norms(v)),
            "g1_clipped": v["g1"] * float(v["max_norm"]) / sum(_norms(v)),
            "g2_clipped": v["g2"] * float(v["max_norm"]) / sum(_norms(v)),
        },
    ),
)


@register(
    "clip_grad_norm_by_hand",
    "Clipping gradients by their global norm",
    "clip_grad_norm_: one norm over all gradients, every one scaled by min(1, max_norm/‖g‖).",
    CLIP_MISTAKES,
)
def clip_grad_norm_by_hand(rng: np.random.Generator, seed: int) -> Exercise:
    """Two 2-entry gradients whose joint norm is an integer; an integer max_norm below it."""
    numbers = Numbers(rng)
    for _ in range(10_000):
        g1, g2 = numbers.ints((2,), -6, 6), numbers.ints((2,), -6, 6)
        total = float(np.sqrt(np.sum(g1**2) + np.sum(g2**2)))
        # A total norm that divides 400, so every clipped entry is a short decimal.
        if total in (4.0, 5.0, 8.0, 10.0) and np.any(g1) and np.any(g2):
            break
    max_norm = float(rng.integers(1, int(total)))
    params = [Tensor(np.zeros(2), requires_grad=True) for _ in range(2)]
    for p, g in zip(params, (g1, g2), strict=True):
        p.grad = g.copy()
    returned = optim.clip_grad_norm_(params, max_norm)
    # The engine's factor is max_norm/(‖g‖ + 1e-6); the exercise drops the 1e-6 (as the prompt
    # says), so the answer rescales the engine's clipped gradients by (‖g‖ + 1e-6)/‖g‖.
    clipped = [np.asarray(p.grad) * (returned + 1e-6) / returned for p in params]
    prompt = (
        f"A model has two parameters whose gradients are $g_1 = {_vector(g1)}$ and "
        f"$g_2 = {_vector(g2)}$. `torch.nn.utils.clip_grad_norm_(params, max_norm="
        f"{number(max_norm)})` runs before the step. Give the total norm it returns and both "
        "gradients after clipping (ignore the 1e-6 PyTorch adds to the norm)."
    )
    steps = (
        Step(
            "total norm",
            returned,
            r"\lVert g\rVert = \sqrt{\lVert g_1\rVert^2 + \lVert g_2\rVert^2}",
        ),
        Step("scale", min(1.0, max_norm / total), r"\min(1, \text{max\_norm}/\lVert g\rVert)"),
        Step("g₁ clipped", clipped[0]),
        Step("g₂ clipped", clipped[1]),
    )
    return Exercise(
        kind="clip_grad_norm_by_hand",
        seed=seed,
        title="Clipping gradients by their global norm",
        prompt=prompt,
        given=(
            Given("g1", "g_1", g1),
            Given("g2", "g_2", g2),
            Given("max_norm", r"\text{max\_norm}", np.asarray(max_norm)),
        ),
        fields=(
            AnswerField("total_norm", r"\lVert g\rVert", ()),
            AnswerField("g1_clipped", "g_1", (2,)),
            AnswerField("g2_clipped", "g_2", (2,)),
        ),
        solution={
            "total_norm": np.asarray(returned),
            "g1_clipped": clipped[0],
            "g2_clipped": clipped[1],
        },
        steps=steps,
    )
