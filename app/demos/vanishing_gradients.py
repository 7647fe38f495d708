"""Card 11: a deep sigmoid net's early gradients vanish; scaled residual branches keep them.

The sigmoid net's backward pass multiplies the gradient by Wᵀ diag(σ′) at every layer, so the
gradient reaching the input is bounded by the product of the layers' ‖diag(σ′)W‖₂. The demo
measures that shrinkage per layer, checks it against the product bound computed independently
from the forward values, and checks a residual ReLU net whose branches are scaled by 1/√L keeps
every layer's gradient in a sane band. A gradcheck on small instances of both nets is the
evidence that the engine's rules behind all of this are right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from app.demos.base import Chart, Check, Demo, DemoParams, Series, Step
from app.demos.evidence import finite_difference_checks
from app.demos.registry import register
from app.engine import Linear, Tensor, linear, mse_loss

NETWORKS = ("sigmoid", "ReLU", "ReLU + residual")
GRAD_BAND = (1e-3, 1e3)  # every ‖∂L/∂h_ℓ‖ of the scaled residual net stays in here
LOSS_LIMIT = 100.0  # the residual net's loss over mean(x²) + mean(y²): finite, not exploding
SIGMOID_FACTOR_MAX = 0.5  # the sigmoid net's per-layer gradient factor (geometric mean)
BOUND_SLACK = 1e-9  # float rounding in ‖g_0‖ / ‖g_{N−1}‖ against Π ρ_ℓ


class VanishingGradientsParams(DemoParams):
    depth: int = Field(default=12, ge=2, le=24, description="Linear layers N.")
    width: int = Field(default=16, ge=8, le=32, description="Units per layer.")
    batch: int = Field(default=8, ge=1, le=16, description="Examples in the batch.")


@dataclass(frozen=True)
class Run:
    """One forward and backward of a net: its loss and what backward produced."""

    loss: float
    weight_grads: np.ndarray  # ‖∂L/∂W_ℓ‖_F, ℓ = 1..N
    input_grads: np.ndarray  # ‖∂L/∂h_ℓ‖_F, ℓ = 0..N−1 (h_0 = x, h_ℓ the input of layer ℓ+1)
    pre_activations: list[np.ndarray]  # z_ℓ of the hidden layers, ℓ = 1..N−1
    weights: list[np.ndarray]  # W_ℓ, ℓ = 1..N


def layers_for(kind: str, params: VanishingGradientsParams) -> list[Linear]:
    """Xavier init for sigmoid, He for ReLU: each activation gets its best-case start."""
    rng = np.random.default_rng(params.seed)
    init = "xavier" if kind == "sigmoid" else "he"
    return [Linear(params.width, params.width, init=init, seed=rng) for _ in range(params.depth)]


def forward(kind: str, x: Tensor, weights: list[Tensor], biases: list[Tensor]) -> list[Tensor]:
    """[h_0, z_1, h_1, ..., z_{N−1}, h_{N−1}, output] of the net `kind`.

    sigmoid: z_ℓ = W_ℓ h_{ℓ−1} + b_ℓ, h_ℓ = σ(z_ℓ). ReLU: h_ℓ = relu(z_ℓ). ReLU + residual
    (pre-activation blocks): z_ℓ = W_ℓ relu(h_{ℓ−1}) + b_ℓ, h_ℓ = h_{ℓ−1} + z_ℓ/√L, the branch
    scaled by 1/√L (L = N − 1 blocks), so the product of the blocks' Jacobians I + W_ℓ D_ℓ/√L
    stays of order one however deep the net is.
    """
    blocks = len(weights) - 1
    values = [x]
    h = x
    for w, b in zip(weights[:-1], biases[:-1], strict=True):
        if kind.startswith("ReLU + residual"):
            # The first block reads x itself (a stem): relu(x) can be all zero for one example.
            z = linear(h if len(values) == 1 else h.relu(), w, b)
            h = h + (z if kind.endswith("unscaled") else z * (1 / math.sqrt(blocks)))
        else:
            z = linear(h, w, b)
            h = z.sigmoid() if kind == "sigmoid" else z.relu()
        values += [z, h]
    values.append(linear(h, weights[-1], biases[-1]))
    return values


def run_net(kind: str, params: VanishingGradientsParams) -> Run:
    """Forward and backward of an MSE loss on the seed's batch, keeping every layer's gradient."""
    rng = params.rng()
    x = rng.standard_normal((params.batch, params.width))
    y = rng.standard_normal((params.batch, params.width))
    layers = layers_for(kind, params)
    weights = [layer.weight for layer in layers]
    biases = [layer.bias for layer in layers if layer.bias is not None]
    h0 = Tensor(x, requires_grad=True)
    values = forward(kind, h0, weights, biases)
    hs = [values[0], *values[2:-1:2]]  # h_0 .. h_{N−1}
    for h in hs[1:]:
        h.retain_grad()
    loss = mse_loss(values[-1], y)
    loss.backward()
    return Run(
        # Relative to the loss a net with outputs of the data's scale would have.
        loss=float(loss.item()) / float(np.mean(x * x) + np.mean(y * y)),
        weight_grads=np.array([_norm(w.grad) for w in weights]),
        input_grads=np.array([_norm(h.grad) for h in hs]),
        pre_activations=[z.data for z in values[1:-1:2]],
        weights=[w.data for w in weights],
    )


def _norm(grad: np.ndarray | None) -> float:
    """‖grad‖_F; a tensor that got no gradient at all has norm 0."""
    return 0.0 if grad is None else float(np.linalg.norm(grad))


def layer_factors(run: Run) -> np.ndarray:
    """ρ_ℓ = max over the batch of ‖diag(σ′(z_ℓ)) W_ℓ‖₂ for the hidden layers ℓ = 1..N−1.

    Computed from the forward values alone (σ′ = σ(1 − σ) in NumPy, not the engine's rule):
    backward maps g_ℓ to g_{ℓ−1} = W_ℓᵀ diag(σ′) g_ℓ per example, so ‖g_{ℓ−1}‖ ≤ ρ_ℓ ‖g_ℓ‖.
    """
    factors = []
    for z, w in zip(run.pre_activations, run.weights, strict=False):
        s = 1 / (1 + np.exp(-z))
        slope = s * (1 - s)  # (batch, width)
        scaled = slope[:, :, None] * w[None, :, :]  # diag(σ′_b) W for each example b
        factors.append(float(np.max(np.linalg.norm(scaled, ord=2, axis=(1, 2)))))
    return np.array(factors)


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator; inf when the denominator got no gradient."""
    return numerator / denominator if denominator > 0 else float("inf")


def _small_instance(kind: str, seed: int) -> tuple[list[np.ndarray], list[str], np.ndarray]:
    """Inputs of a 3-layer, 3-unit, batch-2 net for central differences: x, then W_ℓ and b_ℓ."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3))
    target = rng.standard_normal((2, 3))
    inputs, names = [x], ["∂L/∂x"]
    for layer in range(1, 4):
        inputs += [rng.standard_normal((3, 3)), rng.standard_normal(3) * 0.5]
        names += [f"∂L/∂W{layer}", f"∂L/∂b{layer}"]
    return inputs, names, target


def gradient_checks(seed: int) -> list[Check]:
    """The engine's gradients of both nets (sigmoid; ReLU + residual) against differences."""
    checks = []
    for kind in ("sigmoid", "ReLU + residual"):
        inputs, names, target = _small_instance(kind, seed)

        def loss_of(
            x: Tensor, *wb: Tensor, kind: str = kind, target: np.ndarray = target
        ) -> Tensor:
            # ×10: gradients well above gradcheck's absolute tolerance, so only rtol decides.
            return mse_loss(forward(kind, x, list(wb[0::2]), list(wb[1::2]))[-1], target) * 10.0

        for check in finite_difference_checks(loss_of, inputs, names):
            checks.append(
                Check(
                    f"{kind} net (3 layers): {check.claim}",
                    check.measured,
                    check.bound,
                    check.passed,
                    check.tolerance,
                )
            )
    return checks


def combined(checks: list[Check], claim: str) -> Check:
    """One check standing for several: the worst measurement, passed only if all passed."""
    worst = max(checks, key=lambda c: (not c.passed, c.measured))
    return Check(claim, worst.measured, worst.bound, all(c.passed for c in checks), worst.tolerance)


@register(
    "vanishing_gradients",
    "Vanishing gradients",
    VanishingGradientsParams,
    rules=("sigmoid.vjp", "linear.vjp", "relu.vjp", "add.vjp"),
)
def vanishing_gradients(params: VanishingGradientsParams) -> Demo:
    """Run the demo: vanishing gradients."""
    runs = {kind: run_net(kind, params) for kind in NETWORKS}
    N = params.depth
    layers = list(range(1, N + 1))
    sig, res = runs["sigmoid"], runs["ReLU + residual"]

    # The sigmoid net: how much the gradient shrinks from h_{N−1} back to the input x.
    shrink = ratio(sig.input_grads[0], sig.input_grads[-1])  # ‖g_0‖ / ‖g_{N−1}‖
    rho = layer_factors(sig)
    bound = float(np.prod(rho))
    per_layer = shrink ** (1 / (N - 1))
    per_layer_bound = bound ** (1 / (N - 1))
    res_shrink = ratio(res.input_grads[0], res.input_grads[-1])
    low, high = GRAD_BAND
    res_min, res_max = float(res.input_grads.min()), float(res.input_grads.max())
    band_ok = bool(np.all((res.input_grads >= low) & (res.input_grads <= high)))
    # The norm furthest from the band's geometric centre, on a log scale.
    res_worst = max(
        (res_min, res_max), key=lambda v: abs(math.log(max(v, 1e-300) / math.sqrt(low * high)))
    )
    unscaled = run_net("ReLU + residual, unscaled", params)

    gradchecks = gradient_checks(params.seed)
    sigmoid_checks = [c for c in gradchecks if c.claim.startswith("sigmoid")]
    residual_checks = [c for c in gradchecks if c.claim.startswith("ReLU")]
    checks = [
        combined(
            sigmoid_checks,
            "sigmoid net (3 layers): every analytic gradient (x, W, b) equals central differences",
        ),
        combined(
            residual_checks,
            "ReLU + residual net (3 layers): every analytic gradient (x, W, b) equals central "
            "differences",
        ),
        Check.at_most(
            f"sigmoid: the gradient shrinks at most as the product of the {N - 1} hidden layers' "
            "‖diag(σ′)W‖₂ predicts (‖∂L/∂x‖ / ‖∂L/∂h_{N−1}‖ divided by Π ρ_ℓ)",
            shrink / bound if bound > 0 else float("inf"),
            1 + BOUND_SLACK,
        ),
        Check.at_most(
            "sigmoid: the gradient shrinks at every layer (per-layer factor, the geometric mean "
            "of ‖∂L/∂x‖ / ‖∂L/∂h_{N−1}‖ over the hidden layers)",
            per_layer,
            SIGMOID_FACTOR_MAX,
        ),
        Check(
            "ReLU + residual (branches scaled by 1/√L): the gradient reaching every layer's input, "
            f"‖∂L/∂h_ℓ‖ for ℓ = 0..N−1, stays in [{low:g}, {high:g}] (measured: the one "
            "furthest out)",
            res_worst,
            f"all in [{low:g}, {high:g}]",
            band_ok,
        ),
        Check.between(
            "ReLU + residual: the input's gradient is of the same order as the last hidden "
            "layer's (‖∂L/∂x‖ / ‖∂L/∂h_{N−1}‖)",
            res_shrink,
            0.1,
            10.0,
        ),
        Check.at_most(
            "ReLU + residual: the loss stays finite and does not explode "
            "(loss / (mean(x²) + mean(y²)))",
            res.loss,
            LOSS_LIMIT,
        ),
    ]

    steps = [
        Step(
            f"‖∂L/∂W_ℓ‖, {kind}",
            run.weight_grads[:8] if N > 8 else run.weight_grads,
            r"\Big\lVert \frac{\partial L}{\partial W_\ell} \Big\rVert_F",
            f"layers 1..{min(N, 8)} of {N}" + (" (the chart shows all)" if N > 8 else ""),
        )
        for kind, run in runs.items()
    ]
    steps += [
        Step(
            "sigmoid: ρ_ℓ = max over the batch of ‖diag(σ′(z_ℓ)) W_ℓ‖₂",
            rho[:8] if len(rho) > 8 else rho,
            r"\rho_\ell = \max_b \lVert \operatorname{diag}(\sigma'(z_{\ell,b}))\, W_\ell \rVert_2",
            "σ′ ≤ 1/4, so ρ_ℓ ≤ ‖W_ℓ‖₂ / 4",
        ),
        Step(
            "sigmoid: ‖∂L/∂x‖ / ‖∂L/∂h_{N−1}‖, measured",
            shrink,
            r"\lVert g_0 \rVert / \lVert g_{N-1} \rVert \le \prod_\ell \rho_\ell",
        ),
        Step("sigmoid: Π ρ_ℓ, the bound", bound),
        Step(
            "sigmoid: per-layer factor, measured (bound)",
            f"{per_layer:.3g} ({per_layer_bound:.3g})",
            note=f"geometric mean over {N - 1} hidden layers: the gradient shrinks by about "
            "this much per layer",
        ),
        Step(
            "ReLU + residual: smallest and largest ‖∂L/∂h_ℓ‖",
            f"{res_min:.3g} … {res_max:.3g}",
            r"h_\ell = h_{\ell-1}"
            r" + \tfrac{1}{\sqrt{L}}\,(W_\ell\,\mathrm{relu}(h_{\ell-1}) + b_\ell)",
            "without the 1/√L the blocks' Jacobians I + W D multiply up and the net explodes",
        ),
        Step("ReLU + residual: loss / (mean(x²) + mean(y²))", res.loss),
        Step(
            "the same residual net without the 1/√L: loss / (mean(x²) + mean(y²))",
            unscaled.loss,
            note=f"largest ‖∂L/∂h_ℓ‖ {float(unscaled.input_grads.max()):.3g}: unscaled "
            "branches add up and the net explodes with depth",
        ),
    ]
    charts = [
        Chart(
            "Gradient norm per layer",
            "layer ℓ (1 = input side)",
            "‖∂L/∂W_ℓ‖",
            [Series(kind, list(layers), run.weight_grads.tolist()) for kind, run in runs.items()],
            log_y=True,
        ),
        Chart(
            "sigmoid: gradient reaching h_ℓ against the product bound",
            "ℓ (0 = the input x)",
            "‖∂L/∂h_ℓ‖",
            [
                Series("measured", list(range(N)), sig.input_grads.tolist()),
                Series(
                    "bound ‖∂L/∂h_{N−1}‖ · Π_{k>ℓ} ρ_k",
                    list(range(N)),
                    [float(sig.input_grads[-1] * np.prod(rho[ell:])) for ell in range(N)],
                ),
            ],
            log_y=True,
        ),
    ]
    return Demo(
        name="vanishing_gradients",
        title="Vanishing gradients",
        params=params.model_dump(),
        steps=steps,
        checks=checks,
        charts=charts,
        summary=(
            f"Through {N - 1} sigmoid layers the gradient shrank by {shrink:.1e} "
            f"(a factor {per_layer:.2g} per layer, under the bound Π‖diag(σ′)W‖ = {bound:.1e}); "
            "with ReLU and residual branches scaled by 1/√L the gradient reaching every layer "
            f"stayed "
            f"between {res_min:.2g} and {res_max:.2g}."
        ),
    )
