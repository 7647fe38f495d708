"""Card 1: one backward pass gives a 2-layer MLP's whole gradient; finite differences need 2P."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import finite_difference_checks, max_abs_difference
from app.demos.registry import register
from app.engine import Counters, Tensor, count, linear, mse_loss, no_grad

Activation = Literal["tanh", "sigmoid", "relu"]
NAMES = ("W1", "b1", "W2", "b2")
EPS = 1e-6  # central-difference step: truncation error ~eps², rounding ~1e-16/eps


class MlpGradientParams(DemoParams):
    batch: int = Field(default=4, ge=1, le=8, description="Rows of X (examples in the batch).")
    n_in: int = Field(default=3, ge=1, le=6, description="Input features d.")
    hidden: int = Field(default=4, ge=1, le=8, description="Hidden units h.")
    n_out: int = Field(default=2, ge=1, le=4, description="Outputs k.")
    activation: Activation = Field(default="tanh", description="σ between the two layers.")


@dataclass
class Passes:
    """Forward and backward passes a route used, as the engine counted them (not the demo):
    forward = op evaluations / ops in one forward pass, backward = the engine's backward walks."""

    forward: int = 0
    backward: int = 0

    @property
    def total(self) -> int:
        return self.forward + self.backward


LossFn = Callable[..., Tensor]


def activate(z: Tensor, activation: Activation) -> Tensor:
    """σ(Z₁), elementwise."""
    return {"tanh": z.tanh, "sigmoid": z.sigmoid, "relu": z.relu}[activation]()


def activation_slope(z: np.ndarray, h: np.ndarray, activation: Activation) -> np.ndarray:
    """σ'(Z₁) written by hand, from the forward values (the card's G₁ needs it)."""
    if activation == "tanh":
        return 1 - h * h
    if activation == "sigmoid":
        return h * (1 - h)
    return (z > 0).astype(np.float64)


def make_loss(x: np.ndarray, y: np.ndarray, activation: Activation) -> LossFn:
    """L(W₁, b₁, W₂, b₂) = mean((σ(X W₁ᵀ + b₁) W₂ᵀ + b₂ − Y)²) for this batch."""

    def loss(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
        # The fused linear op nn.Linear and MLP use: X Wᵀ + b as one node.
        hidden = activate(linear(Tensor(x), w1, b1), activation)
        return mse_loss(linear(hidden, w2, b2), y)

    return loss


def ops_per_forward(loss: LossFn, arrays: list[np.ndarray]) -> int:
    """How many ops the engine evaluates in one forward pass of the loss."""
    with count() as counter, no_grad():
        loss(*[Tensor(a) for a in arrays])
    return counter.ops["forward"]


def counted_passes(counter: Counters, per_forward: int) -> Passes:
    """The engine's own counts turned into passes."""
    return Passes(counter.ops["forward"] // per_forward, counter.backward_passes)


def backprop_gradient(loss: LossFn, arrays: list[np.ndarray]) -> tuple[list[np.ndarray], Passes]:
    """Every parameter's gradient from one forward and one backward pass."""
    per_forward = ops_per_forward(loss, arrays)
    with count() as counter:
        leaves = [Tensor(a, requires_grad=True, name=n) for a, n in zip(arrays, NAMES, strict=True)]
        loss(*leaves).backward()
    return [np.asarray(leaf.grad) for leaf in leaves], counted_passes(counter, per_forward)


def finite_difference_gradient(
    loss: LossFn, arrays: list[np.ndarray]
) -> tuple[list[np.ndarray], Passes]:
    """Every parameter's gradient by central differences: two forward passes per parameter."""
    per_forward = ops_per_forward(loss, arrays)
    xs = [a.astype(np.float64, copy=True) for a in arrays]

    def evaluate() -> float:
        with no_grad():
            return loss(*[Tensor(a) for a in xs]).item()

    grads = []
    with count() as counter:
        for x in xs:
            grad, flat = np.zeros_like(x), x.reshape(-1)
            for j in range(flat.size):
                original = flat[j]
                flat[j] = original + EPS
                plus = evaluate()
                flat[j] = original - EPS
                minus = evaluate()
                flat[j] = original
                grad.reshape(-1)[j] = (plus - minus) / (2 * EPS)
            grads.append(grad)
    return grads, counted_passes(counter, per_forward)


def init_params(
    rng: np.random.Generator, sizes: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """W₁ (h×d), b₁, W₂ (k×h), b₂ with Xavier-scaled Gaussians, so activations stay moderate."""
    d, h, k = sizes
    w1 = rng.standard_normal((h, d)) * np.sqrt(2 / (d + h))
    w2 = rng.standard_normal((k, h)) * np.sqrt(2 / (h + k))
    return w1, rng.standard_normal(h) * 0.1, w2, rng.standard_normal(k) * 0.1


def passes_by_width(params: MlpGradientParams) -> tuple[list[int], list[int], list[int]]:
    """Counted passes of both routes for hidden widths 1…h: (P, backprop, finite differences)."""
    sizes, backprop, finite = [], [], []
    rng = np.random.default_rng(params.seed)
    x = rng.standard_normal((params.batch, params.n_in))
    y = rng.standard_normal((params.batch, params.n_out))
    for width in range(1, params.hidden + 1):
        arrays = list(init_params(rng, (params.n_in, width, params.n_out)))
        loss = make_loss(x, y, params.activation)
        sizes.append(sum(a.size for a in arrays))
        backprop.append(backprop_gradient(loss, arrays)[1].total)
        finite.append(finite_difference_gradient(loss, arrays)[1].total)
    return sizes, backprop, finite


@register(
    "mlp_gradient",
    "Backprop: a 2-layer MLP's whole gradient in one pass",
    MlpGradientParams,
    rules=("linear.vjp", "tanh.vjp", "mse_loss.vjp"),
)
def mlp_gradient(params: MlpGradientParams) -> Demo:
    """Run the demo: backprop: a 2-layer MLP's whole gradient in one pass."""
    rng = params.rng()
    B, d, h, k = params.batch, params.n_in, params.hidden, params.n_out
    x = rng.standard_normal((B, d))
    y = rng.standard_normal((B, k))
    arrays = list(init_params(rng, (d, h, k)))
    loss = make_loss(x, y, params.activation)
    n_params = sum(a.size for a in arrays)

    # The forward values the card's formulas need, recorded once without a graph.
    with no_grad():
        w1, b1, w2, b2 = (Tensor(a) for a in arrays)
        z1 = linear(Tensor(x), w1, b1)
        hid = activate(z1, params.activation)
        z2 = linear(hid, w2, b2)
        value = mse_loss(z2, y).item()

    grads, bp_passes = backprop_gradient(loss, arrays)
    fd_grads, fd_passes = finite_difference_gradient(loss, arrays)
    with count() as counters:
        leaves = [Tensor(a, requires_grad=True) for a in arrays]
        loss(*leaves).backward()
    flops_forward, flops_backward = (
        counters.total_flops("forward"),
        counters.total_flops("backward"),
    )

    # The card's formulas, in plain NumPy from the forward values.
    g2 = 2 * (z2.data - y) / (B * k)  # ∂/∂Z₂ of mean((Z₂ − Y)²)
    g1 = (g2 @ arrays[2]) * activation_slope(z1.data, hid.data, params.activation)
    formulas = [g1.T @ x, g1.sum(axis=0), g2.T @ hid.data, g2.sum(axis=0)]
    gradient = dict(zip(NAMES, grads, strict=True))

    steps = [
        Step("X", x, r"X \in \mathbb{R}^{B\times d}", f"{B}×{d}"),
        Step("Y", y, r"Y \in \mathbb{R}^{B\times k}", f"{B}×{k}"),
        Step("W₁", arrays[0], r"W_1 \in \mathbb{R}^{h\times d}", f"{h}×{d}"),
        Step("b₁", arrays[1], r"b_1 \in \mathbb{R}^{h}", f"{h}"),
        Step("W₂", arrays[2], r"W_2 \in \mathbb{R}^{k\times h}", f"{k}×{h}"),
        Step("b₂", arrays[3], r"b_2 \in \mathbb{R}^{k}", f"{k}"),
        Step("Z₁ = X W₁ᵀ + b₁", z1.data, r"Z_1 = XW_1^\top + \mathbf{1}_B b_1^\top", f"{B}×{h}"),
        Step(f"H = {params.activation}(Z₁)", hid.data, r"H = \sigma(Z_1)", f"{B}×{h}"),
        Step("Z₂ = H W₂ᵀ + b₂", z2.data, r"Z_2 = HW_2^\top + \mathbf{1}_B b_2^\top", f"{B}×{k}"),
        Step("L = mean((Z₂ − Y)²)", value, r"L = \tfrac{1}{Bk}\lVert Z_2 - Y\rVert^2"),
        Step("G₂ = ∂L/∂Z₂", g2, r"G_2 = \tfrac{2}{Bk}(Z_2 - Y)", f"{B}×{k}"),
        Step(
            "∂L/∂W₂ = G₂ᵀ H",
            gradient["W2"],
            r"\frac{\partial L}{\partial W_2} = G_2^\top H",
            f"({k}×{B})·({B}×{h}) = {k}×{h}, the shape of W₂",
        ),
        Step("∂L/∂b₂ = G₂ᵀ 1", gradient["b2"], r"G_2^\top \mathbf{1}_B", f"{k}"),
        Step("G₁ = (G₂ W₂) ⊙ σ'(Z₁)", g1, r"G_1 = (G_2 W_2)\odot\sigma'(Z_1)", f"{B}×{h}"),
        Step(
            "∂L/∂W₁ = G₁ᵀ X",
            gradient["W1"],
            r"\frac{\partial L}{\partial W_1} = G_1^\top X",
            f"({h}×{B})·({B}×{d}) = {h}×{d}, the shape of W₁",
        ),
        Step("∂L/∂b₁ = G₁ᵀ 1", gradient["b1"], r"G_1^\top \mathbf{1}_B", f"{h}"),
        Step(
            "finite-difference ∂L/∂W₁",
            fd_grads[0],
            r"\frac{L(w+\epsilon)-L(w-\epsilon)}{2\epsilon}",
            f"{2 * arrays[0].size} forward passes for these {arrays[0].size} numbers alone",
        ),
        Step("parameters P", n_params, r"P = hd + h + kh + k"),
        Step("backprop passes", f"{bp_passes.forward} forward + {bp_passes.backward} backward"),
        Step("finite-difference passes", fd_passes.forward, r"2P", f"2 × {n_params}"),
        Step(
            "FLOPs: forward, backward",
            f"{flops_forward}, {flops_backward}",
            note="the backward sweep costs a small multiple of the forward one",
        ),
    ]
    checks = finite_difference_checks(loss, arrays, [f"∂L/∂{n}" for n in NAMES])
    checks.append(
        Check.at_most(
            "the card's formulas G₂ᵀH, G₁ᵀX and the column sums of G₂ and G₁ give the engine's "
            "gradients",
            max(max_abs_difference(g, f) for g, f in zip(grads, formulas, strict=True)),
            1e-12,
        )
    )
    checks.append(
        Check.equal(
            f"the engine counted one forward and one backward pass for all P = {n_params} "
            "parameter gradients (op evaluations / ops per forward, backward walks)",
            bp_passes.total if bp_passes.forward == 1 else float("inf"),
            2,
        )
    )
    checks.append(
        Check.equal(
            f"the engine counted 2P = {2 * n_params} forward passes for finite differences, two "
            "per parameter",
            fd_passes.forward,
            2 * n_params,
        )
    )
    sizes, bp_counts, fd_counts = passes_by_width(params)
    charts = [
        Chart(
            "Passes for the whole gradient vs parameter count (hidden width 1…h)",
            "parameters P",
            "passes",
            [
                Series("backprop (forward + backward)", list(sizes), list(bp_counts)),
                Series("finite differences (2P forwards)", list(sizes), list(fd_counts)),
            ],
        )
    ]
    return Demo(
        name="mlp_gradient",
        title="Backprop: a 2-layer MLP's whole gradient in one pass",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"One forward and one backward pass gave all {n_params} gradients of a {d}-{h}-{k} "
            f"MLP, matching central differences to {max(c.measured for c in checks[:4]):.1e}; "
            f"finite differences needed {fd_passes.forward} forward passes for the same numbers."
        ),
    )
